package domain

import "fmt"

// Notification tells the outside world (job-server, a webhook) that a
// request changed status. The field names are job-server's.
type Notification struct {
	EventType     string   `json:"event_type"`
	Workspace     string   `json:"workspace"`
	Request       string   `json:"request"`
	RequestAuthor string   `json:"request_author"`
	User          string   `json:"user"`
	Updates       []Update `json:"updates"`
}

// Update is one line of detail in a notification.
type Update struct {
	Update string `json:"update"`
	User   string `json:"user,omitempty"`
	Group  string `json:"group,omitempty"`
}

// ApprovedUpdate is the update of a request_approved notification, as
// OpenSAFELY Airlock words it: "1 file will be uploaded", "N files will be
// uploaded" (n is the count of output files released).
func ApprovedUpdate(n int) Update {
	if n == 1 {
		return Update{Update: "1 file will be uploaded"}
	}
	return Update{Update: fmt.Sprintf("%d files will be uploaded", n)}
}
