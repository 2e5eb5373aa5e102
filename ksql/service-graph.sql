-- The service graph in ksqlDB (7.9): RUN SCRIPT '/ksql/service-graph.sql'; once the topology runs with --service-graph
-- and has paired an edge (ksqlDB takes the columns from connection-edges-value and service-graph-value, registered with
-- the first of each). Naming as in connections.sql: fields upper-cased, enums as STRING, timestamp-millis as TIMESTAMP;
-- an edge's two ends are STRUCTs (client->host, server->comm).
SET 'auto.offset.reset' = 'earliest';

-- Connections per pair of workloads (host and process), for pull queries; key clientHost|serverHost|clientComm|serverComm.
--   SELECT clientHost, clientComm, serverHost, serverComm, open, total FROM service_graph WHERE id = 'web-1|db-1|curl|postgres';
CREATE SOURCE TABLE IF NOT EXISTS service_graph (id VARCHAR PRIMARY KEY)
  WITH (KAFKA_TOPIC = 'service-graph', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- The edges, both ends of each connection whose two ends run an agent; key client connection id|server connection id.
--   SELECT * FROM connection_edges WHERE id = 'web-1|4026531840|10.0.0.5|41234|10.0.0.9|5432|123|db-1|4026531840|10.0.0.9|5432|10.0.0.5|41234|456';
CREATE SOURCE TABLE IF NOT EXISTS connection_edges (id VARCHAR PRIMARY KEY)
  WITH (KAFKA_TOPIC = 'connection-edges', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- Every change of an edge, as a stream (a deleted edge is a tombstone, which a stream skips).
CREATE STREAM IF NOT EXISTS edge_changes (id VARCHAR KEY)
  WITH (KAFKA_TOPIC = 'connection-edges', KEY_FORMAT = 'KAFKA', VALUE_FORMAT = 'AVRO');

-- Who calls whom, flattened: one row per edge change with both ends' host, process and the server's port.
--   SELECT * FROM calls EMIT CHANGES;
CREATE STREAM IF NOT EXISTS calls AS
  SELECT id, client->host AS client_host, client->comm AS client_process, server->host AS server_host,
         server->comm AS server_process, server->lport AS server_port, state, openedAt, closedAt
  FROM edge_changes
  EMIT CHANGES;

-- Open edges per server process, kept up to date: what is being called, by how many connections now.
--   SELECT * FROM open_edges_by_server EMIT CHANGES;
CREATE TABLE IF NOT EXISTS open_edges_by_server WITH (KEY_FORMAT = 'JSON') AS
  SELECT server->host AS server_host, COALESCE(server->comm, '(none)') AS server_process, COUNT(*) AS open_edges
  FROM connection_edges
  WHERE state = 'OPEN'
  GROUP BY server->host, COALESCE(server->comm, '(none)')
  EMIT CHANGES;
