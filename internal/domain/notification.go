package domain

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
