package bob

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Command is a parsed command line: the command name in lower case and
// the rest of the line, its operand, with the surrounding blanks removed.
type Command struct {
	Name    string
	Operand string
}

// Errors of ParseCommand.
var (
	// ErrEmptyLine: a line with nothing but blanks.
	ErrEmptyLine = errors.New("bob: empty command line")
	// ErrBadLine: a line with a control character or invalid UTF-8.
	ErrBadLine = errors.New("bob: invalid command line")
)

// ParseCommand parses one command line. The line terminator ("\n" or
// "\r\n") may be present or not. Commands are matched without regard to
// case (Java's BOB lower-cases them, i2pd compares them as they are); the
// operand is kept as it is. ParseCommand does no I/O and never panics.
func ParseCommand(line string) (Command, error) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if !utf8.ValidString(line) {
		return Command{}, ErrBadLine
	}
	for i := 0; i < len(line); i++ {
		if c := line[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return Command{}, ErrBadLine
		}
	}
	line = strings.Trim(line, " \t")
	if line == "" {
		return Command{}, ErrEmptyLine
	}
	name, rest := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		name, rest = line[:i], line[i+1:]
	}
	return Command{Name: strings.ToLower(name), Operand: strings.Trim(rest, " \t")}, nil
}

// String formats the command as a line without terminator, which
// ParseCommand reads back as the same Command.
func (c Command) String() string {
	if c.Operand == "" {
		return c.Name
	}
	return c.Name + " " + c.Operand
}

// parsePort reads an inport or outport operand: a decimal port, 1..65535.
func parsePort(s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bob: port %q out of range", s)
	}
	return int(n), nil
}

// parseOptions reads option's operand: key=value pairs separated by
// blanks. A key is not empty and has no '='; a value may be empty.
func parseOptions(s string) (map[string]string, []string, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, nil, errors.New("bob: no option")
	}
	m := make(map[string]string, len(fields))
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("bob: malformed option %q", f)
		}
		if _, dup := m[k]; !dup {
			keys = append(keys, k)
		}
		m[k] = v
	}
	return m, keys, nil
}

// tunnelStatus is what a status line shows of a tunnel.
type tunnelStatus struct {
	Nickname                    string
	Starting, Running, Stopping bool
	Keys, Quiet                 bool
	InHost, OutHost             string
	InPort, OutPort             int
}

// statusLine formats a tunnel as the DATA line of list (and, after "OK ",
// of status), as i2pd does: unset hosts and ports are "not_set".
func statusLine(s tunnelStatus) string {
	str := func(v string) string {
		if v == "" {
			return "not_set"
		}
		return v
	}
	num := func(p int) string {
		if p == 0 {
			return "not_set"
		}
		return strconv.Itoa(p)
	}
	return fmt.Sprintf("DATA NICKNAME: %s STARTING: %t RUNNING: %t STOPPING: %t KEYS: %t QUIET: %t INPORT: %s INHOST: %s OUTPORT: %s OUTHOST: %s",
		s.Nickname, s.Starting, s.Running, s.Stopping, s.Keys, s.Quiet, num(s.InPort), str(s.InHost), num(s.OutPort), str(s.OutHost))
}

// formatOptions formats options as sorted key=value pairs (showprops).
func formatOptions(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + "=" + m[k])
	}
	return b.String()
}

// helpText is the help of each command, i2pd's wording where it has the
// command.
var helpText = map[string]string{
	"clear":       "clear - Clear the current nickname out of the list.",
	"getdest":     "getdest - Return the destination for the current nickname.",
	"getkeys":     "getkeys - Return the keypair for the current nickname.",
	"getnick":     "getnick <TUNNELNAME> - Sets the nickname from the database.",
	"help":        "help <COMMAND> - Get help on a command.",
	"inhost":      "inhost <HOSTNAME|IP> - Set the inbound hostname or IP.",
	"inport":      "inport <PORT_NUMBER> - Set the inbound port number nickname listens on.",
	"list":        "list - List all tunnels.",
	"lookup":      "lookup <I2P_HOSTNAME> - Look up an I2P hostname.",
	"lookuplocal": "lookuplocal <I2P_HOSTNAME> - Look up an I2P hostname in the local database only.",
	"newkeys":     "newkeys [SIGNATURE_TYPE [CRYPTO_TYPE]] - Generate a new keypair for the current nickname.",
	"option":      "option <KEY>=<VALUE> ... - Set options (i2cp.*, inbound.*, outbound.*).",
	"outhost":     "outhost <HOSTNAME|IP> - Set the outhound hostname or IP.",
	"outport":     "outport <PORT_NUMBER> - Set the outbound port that nickname contacts.",
	"quiet":       "quiet <True|False> - Whether to send the incoming destination.",
	"quit":        "quit - Quits this session with BOB.",
	"setkeys":     "setkeys <BASE64_KEYPAIR> - Sets the keypair for the current nickname.",
	"setnick":     "setnick <NICKNAME> - Creates a new nickname.",
	"show":        "show - Display the status of the current nickname.",
	"showprops":   "showprops - Display the options of the current nickname.",
	"start":       "start - Starts the current nicknamed tunnel.",
	"status":      "status <NICKNAME> - Display status of a nicknamed tunnel.",
	"stop":        "stop - Stops the current nicknamed tunnel.",
	"verify":      "verify <BASE64_DESTINATION> - Check that a destination is valid.",
	"visit":       "visit - Does nothing (Java's BOB dumped its threads to its log).",
	"zap":         "zap - Ends this session (i2pd's meaning; Java's BOB shut down).",
}

// helpList is help's reply without operand.
var helpList = func() string {
	names := make([]string, 0, len(helpText))
	for k := range helpText {
		names = append(names, k)
	}
	sort.Strings(names)
	return "COMMANDS: " + strings.Join(names, " ")
}()
