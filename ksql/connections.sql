-- conntrail in ksqlDB. Keys are plain strings (KEY_FORMAT='KAFKA'); values are Avro in the
-- Confluent wire format, so ksqlDB takes the columns from the schema registry.
SET 'auto.offset.reset' = 'earliest';

-- The live table: one row per socket; closed rows stay at least one window, then tombstoned.
CREATE TABLE IF NOT EXISTS connections (id VARCHAR PRIMARY KEY)
  WITH (KAFKA_TOPIC = 'connections', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- Raw events, for drill-down.
CREATE STREAM IF NOT EXISTS tcp_events (id VARCHAR KEY)
  WITH (KAFKA_TOPIC = 'tcp-events', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- Open connections per host and process, kept up to date.
CREATE TABLE IF NOT EXISTS open_by_process AS
  SELECT host, comm, COUNT(*) AS open_connections
  FROM connections
  WHERE state = 'OPEN'
  GROUP BY host, comm
  EMIT CHANGES;

-- Examples (pull / push queries):
--   SELECT host, laddr, lport, raddr, rport, comm, state FROM connections WHERE host = 'web-1';
--   SELECT * FROM connections WHERE nat IS NOT NULL EMIT CHANGES;
--   SELECT host, type, comm, raddr, rport FROM tcp_events WHERE type = 'CONNECT' EMIT CHANGES;
