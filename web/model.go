// Package web holds the console's HTML: templ components (*.templ, and the
// generated *_templ.go files, which are committed) and the view models
// they render. It imports nothing of the project: the console turns the
// router's status snapshots into these types.
//
// Every page works without JavaScript; every form that changes something
// carries the CSRF token (Page.CSRF) in a hidden "csrf" field.
package web

// Page is what every page has.
type Page struct {
	Title  string
	Active string // the nav entry of this page: "home", "tunnels", ...
	CSRF   string // the token forms must send back
	Flash  string // a success message
	Error  string // an error message
}

// NavItem is an entry of the main navigation.
type NavItem struct{ Key, Label, Href string }

// Nav is the main navigation, in order.
var Nav = []NavItem{
	{"home", "Dashboard", "/"},
	{"i2ptunnels", "Tunnel manager", "/i2ptunnels"},
	{"addressbook", "Address book", "/addressbook"},
	{"peers", "Peers", "/peers"},
	{"netdb", "NetDB", "/netdb"},
	{"tunnels", "Tunnels", "/tunnels"},
	{"logs", "Logs", "/logs"},
	{"config", "Config", "/config"},
}

// KV is a labelled value.
type KV struct{ Key, Value string }

// Card is a titled box of labelled values.
type Card struct {
	Title string
	Rows  []KV
}

// Dashboard is the home page.
type Dashboard struct {
	Page
	// State is the network state in a word ("OK", "Starting", ...);
	// StateClass is ok, warn or bad; StateHelp says what to do.
	State, StateClass, StateHelp string
	Cards                        []Card
	Proxies                      []Proxy
	Graph                        bool // show the bandwidth graph
	Control                      bool // show the shutdown and restart buttons
}

// Proxy is a local client tunnel a user points an application at.
type Proxy struct {
	Name, Addr, State, Help string
}

// BookEntry is a name of the address book.
type BookEntry struct {
	Name, B32, Dest, Book string
}

// Feed is a subscription with its last fetch.
type Feed struct {
	URL, Result, ResultClass, Error, LastFetch string
	Added, Invalid, Conflicts                  int
	ConflictNames, Refused                     []string
}

// AddressBook is the address book page.
type AddressBook struct {
	Page
	Query, Book string // the search
	Entries     []BookEntry
	More        bool // the list was cut
	// The add form's values, kept when it was refused.
	AddName, AddDest, AddBook string
	Feeds                     []Feed
	Subscriptions             string // one URL a line
	Fetching                  bool
}

// Table is a page with one table.
type Table struct {
	Page
	Intro   string
	Columns []string
	Rows    [][]string
	Empty   string // shown instead of an empty table
}

// LogLine is a line of the Logs page.
type LogLine struct{ Time, Level, Message string }

// Logs is the Logs page.
type Logs struct {
	Page
	Level  string   // the level shown and above
	Levels []string // the choices
	Lines  []LogLine
}

// TunnelType is a choice of the tunnel manager's "new tunnel" form.
type TunnelType struct{ Key, Label, Help string }

// TunnelRow is a tunnel of the tunnel manager's list.
type TunnelRow struct {
	Name, Type, TypeLabel string
	// State is stopped, starting, running or failed; StateClass ok,
	// warn, bad or ""; Error why it failed.
	State, StateClass, Error string
	Local                    string // the listen or target host:port
	B32, B33                 string
	Connections              string
	BytesIn, BytesOut        string
	Enabled                  bool // starts with the router
	Running                  bool // starting or running: Stop and Restart, not Start
	// Edit is the edit page's path; Base the path its actions are under
	// (Base+"start"), both escaped.
	Edit, Base string
	// Graph is the path of its traffic graph.
	Graph string
}

// TunnelList is the tunnel manager's list page.
type TunnelList struct {
	Page
	Manage   bool   // the forms are there (else the list only)
	SavePath string // the config file changes are saved to
	Rows     []TunnelRow
	Types    []TunnelType
}

// TunnelValues are the values of a tunnel form.
type TunnelValues struct {
	Name, Listen, Destination, Target, Keys string
	Outproxy, Hostname, WebIRCPassword      string
	InLength, InQuantity                    string
	OutLength, OutQuantity                  string
	Encrypted, Enabled                      bool
}

// TunnelForm is the create or edit form of one tunnel type: the flags
// say which fields that type has.
type TunnelForm struct {
	Page
	New                 bool
	Type, TypeLabel     string
	TypeHelp            string
	Action              string // the form's path
	Delete              string // the delete form's path; "" for a new tunnel
	SavePath            string
	Listen, Destination bool
	Target              bool
	Outproxy, Hostname  bool
	WebIRC              bool
	EncryptedField      bool
	Values              TunnelValues
	// FieldErrors are the messages by field name ("listen",
	// "inbound.length", ...).
	FieldErrors map[string]string
}

// ConfigPage is the Config page: the router settings form.
type ConfigPage struct {
	Page
	Path                          string // the file they are saved to
	Host, Port, Bandwidth, Reseed string // the form's values
	Floodfill                     bool
	Errors                        map[string]string // field → message
	Restart                       bool              // offer the restart button
}
