package porting

// NormalizePortIn is a placeholder until the normaliser lands (it returns the request as is).
func NormalizePortIn(r PortInRequest) PortInRequest { return r }
