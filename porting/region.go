package porting

import (
	"fmt"
	"regexp"
)

// TokyoRegion is where porting is not supported (admin guide, "Tokyo region").
const TokyoRegion = "ap-northeast-1"

// regionTimeZones maps the regions that host contact-center instances to the time zone their port
// dates are expressed in.
var regionTimeZones = map[string]string{
	"us-east-1":      "America/New_York",
	"us-east-2":      "America/New_York",
	"us-west-1":      "America/Los_Angeles",
	"us-west-2":      "America/Los_Angeles",
	"ca-central-1":   "America/Toronto",
	"eu-west-2":      "Europe/London",
	"eu-central-1":   "Europe/Berlin",
	"af-south-1":     "Africa/Johannesburg",
	"ap-southeast-1": "Asia/Singapore",
	"ap-southeast-2": "Australia/Sydney",
	"ap-northeast-2": "Asia/Seoul",
	"ap-northeast-1": "Asia/Tokyo",
}

var arnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:connect:([a-z0-9-]+):([0-9]{12}):instance/([A-Za-z0-9-]+)$`)

// InstanceRef is a parsed instance ARN.
type InstanceRef struct {
	ARN, Region, Account, ID string
}

// ParseInstanceARN checks an instance ARN's form (arn:aws:connect:<region>:<account>:instance/<id>)
// and that its region is one the provider knows.
func ParseInstanceARN(arn string) (InstanceRef, error) {
	m := arnPattern.FindStringSubmatch(arn)
	if m == nil {
		return InstanceRef{}, fmt.Errorf("must look like arn:aws:connect:<region>:<12-digit account>:instance/<id>, got %q", arn)
	}
	if _, ok := regionTimeZones[m[1]]; !ok {
		return InstanceRef{}, fmt.Errorf("region %q is not a region the provider hosts instances in", m[1])
	}
	return InstanceRef{ARN: arn, Region: m[1], Account: m[2], ID: m[3]}, nil
}

// RegionTimeZone is the IANA time zone of a region.
func RegionTimeZone(region string) (string, bool) {
	tz, ok := regionTimeZones[region]
	return tz, ok
}
