// Package deploy holds no code: its tests check the deployment files beside it — the Prometheus
// alerting rules and scrape configuration (prometheus/), the Grafana dashboard (grafana/) and the
// docker-compose monitoring profile that loads them — against the metrics the worker really exports.
package deploy
