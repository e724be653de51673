// Package text holds small string helpers shared by the service's
// packages (engine keeps its own copy: it imports nothing of ours).
package text

// Truncate shortens s to at most n runes, marking a cut with "…".
func Truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
