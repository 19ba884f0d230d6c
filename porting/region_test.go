package porting

import (
	"strings"
	"testing"
)

func TestParseInstanceARNRegions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		arn, region, tz, err string
	}{
		{"arn:aws:connect:us-east-1:123456789012:instance/a-1", "us-east-1", "America/New_York", ""},
		{"arn:aws-us-gov:connect:us-gov-west-1:123456789012:instance/a-1", "us-gov-west-1", "America/Los_Angeles", ""},
		{"arn:aws-us-gov:connect:us-gov-east-1:123456789012:instance/a-1", "us-gov-east-1", "America/New_York", ""},
		{"arn:aws:connect:us-gov-west-1:123456789012:instance/a-1", "", "", "an instance in us-gov-west-1 has an ARN of partition aws-us-gov"},
		{"arn:aws-us-gov:connect:us-east-1:123456789012:instance/a-1", "", "", "an instance in us-east-1 has an ARN of partition aws"},
		{"arn:aws:connect:ap-northeast-1:123456789012:instance/a-1", "ap-northeast-1", "Asia/Tokyo", ""},
		{"arn:aws:connect:mars-north-1:123456789012:instance/a-1", "", "", `region "mars-north-1" is not a region`},
	} {
		ref, err := ParseInstanceARN(tc.arn)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.arn, err, tc.err)
			}
			continue
		}
		if err != nil || ref.Region != tc.region {
			t.Errorf("%s: %+v, %v", tc.arn, ref, err)
			continue
		}
		if tz, ok := RegionTimeZone(ref.Region); !ok || tz != tc.tz {
			t.Errorf("%s: time zone %q", tc.arn, tz)
		}
	}
}
