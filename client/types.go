package client

import "time"

// CheckResult is the check-schedule answer. IsOpen and ClosedReason are
// Twilio's contract (ClosedReason is "" when open); the other fields are
// the service's additive extensions. Times are in the schedule's zone.
type CheckResult struct {
	IsOpen       bool      `json:"isOpen"`
	ClosedReason string    `json:"closedReason"`
	Schedule     string    `json:"schedule"`
	TimeZone     string    `json:"timeZone"`
	At           time.Time `json:"at"` // the evaluated instant
	// Rule is the deciding rule; nil when no rule decided (closed because
	// none matched, or a manual close).
	Rule *Rule `json:"rule,omitempty"`
	// Holiday names the holiday when a holiday calendar decided.
	Holiday string `json:"holiday,omitempty"`
	// NextTransition is the next change of isOpen or closedReason; nil
	// when there is none within 366 days.
	NextTransition *Transition `json:"nextTransition"`
	// NextOpening is when a closed schedule next opens, past any changes
	// of closed reason; zero when it is open or does not open within 366
	// days.
	NextOpening time.Time `json:"nextOpening,omitzero"`
	// ConfigVersion is the config version that answered.
	ConfigVersion uint64 `json:"configVersion,omitempty"`
}

// Rule identifies the config rule that decided a status.
type Rule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Transition is a future change of state.
type Transition struct {
	At           time.Time `json:"at"`
	IsOpen       bool      `json:"isOpen"`
	ClosedReason string    `json:"closedReason"`
}

// Segment is one interval [Start, End) of a timeline with one status.
type Segment struct {
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	IsOpen       bool      `json:"isOpen"`
	ClosedReason string    `json:"closedReason"`
	Rule         *Rule     `json:"rule,omitempty"`
	Holiday      string    `json:"holiday,omitempty"`
}

// Timeline is a schedule's timeline over [From, To): contiguous segments,
// neighbours always different.
type Timeline struct {
	Schedule string    `json:"schedule"`
	TimeZone string    `json:"timeZone"`
	Segments []Segment `json:"segments"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
}
