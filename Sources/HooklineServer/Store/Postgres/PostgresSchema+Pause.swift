extension PostgresSchema {
    /// Paused targets, for the whole fleet: an instance leaves out of its claims (and does not
    /// keep, at a finish) every lane of a route to a paused target, and hands out no job of one.
    static let version4 = #"""
        CREATE TABLE hookline_paused (
            target text PRIMARY KEY,
            paused_by text NOT NULL,
            paused_at timestamptz NOT NULL DEFAULT now()
        );
        """#
}
