extension PostgresSchema {
    /// The console's lookups: events newest first (and pages of them), and by contact.
    static let version6 = #"""
        CREATE INDEX hookline_events_received ON hookline_events (received_at DESC, id DESC);

        CREATE INDEX hookline_events_contact ON hookline_events (contact, received_at DESC);
        """#
}
