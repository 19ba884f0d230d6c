package porting

import (
	"fmt"
	"regexp"
	"strings"
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
	// AWS GovCloud (US): US-West is in Oregon, US-East in Ohio. Their ARNs are of the aws-us-gov partition.
	"us-gov-west-1": "America/Los_Angeles",
	"us-gov-east-1": "America/New_York",
}

// regionPartition is the ARN partition of a region: aws-us-gov for GovCloud, aws for the others.
func regionPartition(region string) string {
	if strings.HasPrefix(region, "us-gov-") {
		return "aws-us-gov"
	}
	return "aws"
}

var arnPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):connect:([a-z0-9-]+):([0-9]{12}):instance/([A-Za-z0-9-]+)$`)

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
	partition, region := m[1], m[2]
	if _, ok := regionTimeZones[region]; !ok {
		return InstanceRef{}, fmt.Errorf("region %q is not a region the provider hosts instances in", region)
	}
	if want := regionPartition(region); partition != want {
		return InstanceRef{}, fmt.Errorf("an instance in %s has an ARN of partition %s (arn:%s:connect:…), got %s", region, want, want, partition)
	}
	return InstanceRef{ARN: arn, Region: region, Account: m[3], ID: m[4]}, nil
}

// RegionTimeZone is the IANA time zone of a region.
func RegionTimeZone(region string) (string, bool) {
	tz, ok := regionTimeZones[region]
	return tz, ok
}
