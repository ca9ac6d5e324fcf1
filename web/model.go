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
