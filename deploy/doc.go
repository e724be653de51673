// Package deploy holds no code: the directory has the deployment files of
// Schedule Manager (Dockerfile, compose, Kubernetes, systemd, Prometheus
// alert rules and the Grafana dashboard; see README.md). Its tests check
// them: every YAML and JSON file parses, every Kubernetes object has the
// fields it needs, compose references existing files, and the dashboard
// and alert rules use only metric names a running service exports.
package deploy
