// Package porting holds the domain types shared by the workflows, the activities, the worker and
// the starter CLI: the wire contract's names and JSON shapes, request validation, regions and the
// business-day calendar. It does no I/O.
package porting
