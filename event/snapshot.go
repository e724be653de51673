package event

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// Snapshot is a CloudEvents 1.0 event (type TypeSnapshot, on
// SnapshotSubject) with the current status of every schedule, for
// subscribers that join late. A large set is split into parts that each
// carry a whole number of schedules; all parts of one snapshot share
// Data.Time.
type Snapshot struct {
	SpecVersion     string       `json:"specversion"`
	ID              string       `json:"id"`
	Source          string       `json:"source"`
	Type            string       `json:"type"`
	Time            time.Time    `json:"time"`
	DataContentType string       `json:"datacontenttype"`
	Data            SnapshotData `json:"data"`
}

// SnapshotData is the payload of a Snapshot.
type SnapshotData struct {
	// Time is the instant the statuses were read.
	Time          time.Time `json:"time"`
	ConfigVersion uint64    `json:"configVersion"`
	// Replica names the replica that took the snapshot (each replica
	// publishes its own).
	Replica string `json:"replica,omitempty"`
	// Part counts from 1 to Parts.
	Part      int              `json:"part"`
	Parts     int              `json:"parts"`
	Schedules []ScheduleStatus `json:"schedules"`
}

// ScheduleStatus is one schedule's current status in a Snapshot.
type ScheduleStatus struct {
	Schedule       string      `json:"schedule"`
	TimeZone       string      `json:"timeZone"`
	IsOpen         bool        `json:"isOpen"`
	ClosedReason   string      `json:"closedReason"`
	Rule           *Rule       `json:"rule"`
	Holiday        string      `json:"holiday,omitempty"`
	NextTransition *Transition `json:"nextTransition"`
}

// NewSnapshot returns part (1-based) of parts of the snapshot taken at t.
func NewSnapshot(source, replica string, t time.Time, version uint64, part, parts int, schedules []ScheduleStatus) Snapshot {
	if source == "" {
		source = DefaultSource
	}
	t = t.UTC()
	h := sha256.New()
	var buf [8]byte
	h.Write([]byte("snapshot\x00" + replica + "\x00"))
	binary.BigEndian.PutUint64(buf[:], uint64(t.UnixNano()))
	h.Write(buf[:])
	binary.BigEndian.PutUint64(buf[:], uint64(part))
	h.Write(buf[:])
	sum := h.Sum(nil)
	return Snapshot{
		SpecVersion: SpecVersion, ID: hex.EncodeToString(sum[:16]), Source: source, Type: TypeSnapshot,
		Time: t, DataContentType: DataContentType,
		Data: SnapshotData{Time: t, ConfigVersion: version, Replica: replica, Part: part, Parts: parts, Schedules: schedules},
	}
}
