extension PostgresSchema {
    /// Personal data: when an event's payload was erased (`hookline erase`) and why, and what
    /// `audit.payloads` kept of it once its jobs were done (`redacted` or `none`; NULL while the
    /// whole payload is kept). The claim and accept functions are unchanged: an erased payload is
    /// empty and a redacted one carries masks, and neither is ever applied
    /// (`EventJobs.message(of:)`).
    static let version8 = #"""
        ALTER TABLE hookline_events ADD COLUMN erased_at timestamptz, ADD COLUMN erased_reason text, ADD COLUMN payload_kept text
        """#
}
