-- conntrail in ksqlDB (7.9, docker-compose.yml's ksqldb-server): RUN SCRIPT '/ksql/connections.sql';
-- Run it once rows exist: ksqlDB takes the columns from the registered value schemas, and connections-value is
-- registered with the topology's first row (tcp-events-value with the producer's first event).
-- How ksqlDB sees our Avro: field names upper-cased (openedAt is OPENEDAT; quote with backticks in upper case),
-- enums as STRING, timestamp-millis (openedAt, closedAt, updatedAt) as TIMESTAMP, timestamp-micros (the
-- `TIMESTAMP` of tcp-events) as BIGINT microseconds. Keys are plain strings (KEY_FORMAT 'KAFKA').
-- KEY_FORMAT 'KAFKA' holds one key column only: tables grouped by two or more columns set KEY_FORMAT 'JSON'.
-- A row whose grouping column is null would be dropped from an aggregate: nullable columns are grouped through
-- COALESCE.
SET 'auto.offset.reset' = 'earliest';

-- The live table, one row per socket, for pull queries (only a SOURCE table can be pull-queried).
-- Closed rows stay at least one window, then are deleted.
--   SELECT * FROM connections WHERE id = 'web-1|4026531840|10.0.0.5|41234|10.0.0.9|5432|123';
--   SELECT host, laddr, lport, raddr, rport, comm, state FROM connections WHERE host = 'web-1';
CREATE SOURCE TABLE IF NOT EXISTS connections (id VARCHAR PRIMARY KEY)
  WITH (KAFKA_TOPIC = 'connections', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- Every change of a row, as a stream (a deleted row is a tombstone, which a stream skips).
CREATE STREAM IF NOT EXISTS connection_changes (id VARCHAR KEY)
  WITH (KAFKA_TOPIC = 'connections', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- Raw events, for drill-down.
CREATE STREAM IF NOT EXISTS tcp_events (id VARCHAR KEY)
  WITH (KAFKA_TOPIC = 'tcp-events', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- Open connections per host and process, kept up to date; sockets with no known process count under '(none)'.
--   SELECT * FROM open_by_process EMIT CHANGES;
CREATE TABLE IF NOT EXISTS open_by_process WITH (KEY_FORMAT = 'JSON') AS
  SELECT host, COALESCE(comm, '(none)') AS process, COUNT(*) AS open_connections
  FROM connections
  WHERE state = 'OPEN'
  GROUP BY host, COALESCE(comm, '(none)')
  EMIT CHANGES;

-- Open connections per host and container (the runtime's 64-digit id; docker ps shows its first 12); sockets of
-- processes in no container count under '(none)'.
--   SELECT * FROM open_by_container EMIT CHANGES;
CREATE TABLE IF NOT EXISTS open_by_container WITH (KEY_FORMAT = 'JSON') AS
  SELECT host, COALESCE(container, '(none)') AS container_id, COUNT(*) AS open_connections
  FROM connections
  WHERE state = 'OPEN'
  GROUP BY host, COALESCE(container, '(none)')
  EMIT CHANGES;

-- Connections through NAT: the socket's tuple beside the conntrack entry it was matched to.
CREATE TABLE IF NOT EXISTS nat_connections AS
  SELECT id, host, laddr, lport, raddr, rport, comm, state,
         nat->origSrc AS orig_src, nat->origSport AS orig_sport, nat->origDst AS orig_dst, nat->origDport AS orig_dport,
         nat->replySrc AS reply_src, nat->replySport AS reply_sport
  FROM connections
  WHERE nat IS NOT NULL
  EMIT CHANGES;

-- Short-lived connections: closed within a second of opening (rows first seen in a snapshot have no openedAt).
--   SELECT * FROM short_lived_connections EMIT CHANGES;
CREATE STREAM IF NOT EXISTS short_lived_connections AS
  SELECT id, host, laddr, lport, raddr, rport, pid, comm, direction, openedAt, closedAt,
         UNIX_TIMESTAMP(closedAt) - UNIX_TIMESTAMP(openedAt) AS lifetime_ms
  FROM connection_changes
  WHERE state = 'CLOSED' AND openedAt IS NOT NULL AND closedAt IS NOT NULL
    AND UNIX_TIMESTAMP(closedAt) - UNIX_TIMESTAMP(openedAt) < 1000
  EMIT CHANGES;

-- tcp-events on event time: the kernel's timestamp is in microseconds, ksqlDB's row time in milliseconds.
CREATE STREAM IF NOT EXISTS tcp_events_by_time WITH (TIMESTAMP = 'EVENT_TIME_MS') AS
  SELECT id, host, `TYPE` AS event_type, `TIMESTAMP` / 1000 AS event_time_ms, pid, comm, container, laddr, lport, raddr, rport
  FROM tcp_events
  EMIT CHANGES;

-- Connects per remote endpoint per minute of event time (a CONNECT always has its remote address and port; the
-- COALESCE only keeps ksqlDB from dropping a row that had none).
--   SELECT * FROM connects_per_remote_per_minute EMIT CHANGES;
CREATE TABLE IF NOT EXISTS connects_per_remote_per_minute WITH (KEY_FORMAT = 'JSON') AS
  SELECT COALESCE(raddr, '(none)') AS remote_addr, COALESCE(rport, 0) AS remote_port, COUNT(*) AS connects
  FROM tcp_events_by_time
  WINDOW TUMBLING (SIZE 1 MINUTE)
  WHERE event_type = 'CONNECT'
  GROUP BY COALESCE(raddr, '(none)'), COALESCE(rport, 0)
  EMIT CHANGES;

-- What each connection carried, as its socket counted it (TcpCounters: tcp_sock's figures, read by the tracer at
-- CLOSE): one line per real close (closeReason CLOSED; an inferred close has no final counters). bytes_sent is
-- what the peer acknowledged; the FIN counts one byte each way, the connecting side's SYN one in its bytes_sent.
--   SELECT * FROM closed_connection_counters EMIT CHANGES;
CREATE STREAM IF NOT EXISTS closed_connection_counters AS
  SELECT id, host, laddr, lport, raddr, rport, pid, comm, direction, closedAt,
         counters->bytesAcked AS bytes_sent, counters->bytesReceived AS bytes_received,
         counters->bytesRetrans AS bytes_retransmitted, counters->totalRetrans AS retransmits,
         counters->srttUs AS srtt_us
  FROM connection_changes
  WHERE state = 'CLOSED' AND closeReason = 'CLOSED' AND counters IS NOT NULL
  EMIT CHANGES;

-- Bytes and retransmits of closed connections per host and process per minute. A closed row published again
-- (a NAT entry matched after its close) counts again: for exact figures per connection read the stream above.
--   SELECT * FROM traffic_by_process_per_minute EMIT CHANGES;
CREATE TABLE IF NOT EXISTS traffic_by_process_per_minute WITH (KEY_FORMAT = 'JSON') AS
  SELECT host, COALESCE(comm, '(none)') AS process, COUNT(*) AS closed_connections, SUM(bytes_sent) AS bytes_sent,
         SUM(bytes_received) AS bytes_received, SUM(retransmits) AS retransmits
  FROM closed_connection_counters
  WINDOW TUMBLING (SIZE 1 MINUTE)
  GROUP BY host, COALESCE(comm, '(none)')
  EMIT CHANGES;
