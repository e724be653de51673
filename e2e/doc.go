// Package e2e holds end-to-end tests of transition events across replicas:
// a three-node NATS cluster on loopback (in-process nats-servers with
// routes), Schedule Manager replicas on it (in-process app.Start and real
// `schedule-manager serve` processes), manual closes through the admin
// API, and failures (SIGKILL of a replica, a NATS node stopped) in the
// middle of a burst of transitions. The package has no non-test code.
package e2e
