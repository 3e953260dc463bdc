extension ConfigurationLoader {
    /// `store: {kind: file}` or `store: {kind: postgres, url, pool_size, lease, retention, adopt_after}`.
    static func store(_ section: YAMLSection, dedupMaxAge: Duration) throws(ConfigurationError) -> StoreSettings {
        let kind = try section.string("kind") ?? "file"
        switch kind {
        case "file":
            // An empty url is allowed, so that one file can say `kind: ${HOOKLINE_STORE:-file}` and
            // `url: ${DATABASE_URL:-}` and serve in either mode.
            try section.checkKeys(["kind", "url"])
            if let url = try section.string("url"), !url.isEmpty {
                throw section.error("url", "is for kind: postgres; with kind: file the audit log is the journal (leave url empty)")
            }
            return .file
        case "postgres":
            try section.checkKeys(["kind", "url", "pool_size", "lease", "retention", "adopt_after"])
            let text = try section.requiredString("url")
            let url: PostgresURL
            do {
                url = try PostgresURL(parsing: text)
            } catch {
                // The problem names the part at fault; the URL itself may carry a password.
                throw section.error("url", "not a PostgreSQL URL: \(error)")
            }
            var settings = PostgresSettings(url: url)
            if let value = try section.int("pool_size", range: 1...1000) { settings.poolSize = value }
            if let value = try section.duration("lease") {
                guard value >= .seconds(1) else { throw section.error("lease", "must be at least 1s") }
                settings.lease = value
            }
            if let value = try section.duration("retention") {
                guard value >= dedupMaxAge else {
                    throw section.error("retention", "must be at least queue.dedup.max_age (\(dedupMaxAge.configurationText)): pruning must keep the dedup window")
                }
                settings.retention = value
            }
            if let value = try section.duration("adopt_after") { settings.adoptAfter = value }
            // A restart must never look like a departure.
            guard settings.adoptAfter >= settings.lease * 2 else {
                throw section.error("adopt_after", "must be at least twice the lease (\((settings.lease * 2).configurationText))")
            }
            return .postgres(settings)
        default:
            throw section.error("kind", "expected file or postgres, got '\(kind)'")
        }
    }
}
