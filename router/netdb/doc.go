// Package netdb is the network database (how-network-database.html,
// common-structures.rst): the RouterInfos and LeaseSets the router knows,
// each checked before it is kept, stored on disk in the layout Java I2P and
// i2pd share (netDb/r<C>/routerInfo-<hash>.dat, C the first base64
// character of the hash).
//
// This first version holds RouterInfos only: checks, memory store, disk
// load and save, and import from a reseed zip. Lookups, floodfill and
// LeaseSets come with issue 4.
package netdb
