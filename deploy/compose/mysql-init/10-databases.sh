#!/bin/bash
# One database and one account per service: a service can read and write only its own data.
# Run once by the MySQL image on an empty data directory (docker-entrypoint-initdb.d).
set -euo pipefail

for service in user auth product order payment cart; do
  mysql --protocol=socket -uroot -p"${MYSQL_ROOT_PASSWORD}" <<SQL
CREATE DATABASE IF NOT EXISTS \`commerce_${service}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci;
CREATE USER IF NOT EXISTS 'commerce_${service}'@'%' IDENTIFIED BY '${COMMERCE_DB_PASSWORD}';
GRANT ALL PRIVILEGES ON \`commerce_${service}\`.* TO 'commerce_${service}'@'%';
SQL
done
