"""Technology at the edges: HTTP and Kafka in, SQL and the outbox out."""
