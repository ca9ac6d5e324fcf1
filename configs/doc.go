// Package configs reads the router's YAML configuration file.
//
// The defaults are embedded from i2pgo.yaml, which is also the reference
// documentation: every key is listed there with a comment. A user's file is
// laid over the defaults, so it only needs the keys it changes. The file is
// decoded with gopkg.in/yaml.v3's Node API rather than a plain Unmarshal so
// that every error can name the file, the line and the key's dotted path:
//
//	config.yaml:3: router.netid: 300 is out of range 1..254
//
// Unknown keys, duplicate keys, type mismatches and out-of-range values
// are all errors; YAML aliases and merge keys are not supported. Values are
// typed strictly: a string that looks like a number or a boolean must be
// quoted, and booleans are only true and false. The line of a YAML syntax
// error is yaml.v3's, which can be one line early.
//
// SaveTunnels writes the console's tunnel manager changes back: it
// replaces the file's `tunnels:` node only (yaml.v3 Node API), so the
// user's other keys and comments survive, validates the result as Load
// would, and renames a temporary file over the old one.
//
// There is no spec for this file; its keys are i2pgo's own, with values and
// defaults following i2pd's (libi2pd/Config.cpp) where they overlap. For
// now File is self-contained: filling each package's Config from it is
// left to the caller (cmd), because configs cannot import console while
// console may import configs.
package configs
