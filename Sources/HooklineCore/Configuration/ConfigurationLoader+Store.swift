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
            // One connection listens for new jobs for as long as the instance runs: one alone would starve the rest.
            if let value = try section.int("pool_size", range: 2...1000) { settings.poolSize = value }
            if let value = try section.duration("lease") {
                guard value >= .seconds(1) else { throw section.error("lease", "must be at least 1s") }
                settings.lease = value
            }
            if let value = try section.duration("retention") {
                guard value >= dedupMaxAge else {
                    throw section.error("retention", "must be at least queue.dedup.max_age (\(dedupMaxAge.configurationText)): pruning must keep the dedup window")
                }
                settings.retention = value
            } else {
                // The default never cuts the dedup window short either.
                settings.retention = max(settings.retention, dedupMaxAge)
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

extension ConfigurationLoader {
    /// A shared store's lease must cover the slowest target's calls: a call starts only with more
    /// than its timeout and the margin of lease left, and leases are renewed every quarter lease.
    static func checkLease(_ settings: PostgresSettings, targets: [TargetSettings], section: YAMLSection) throws(ConfigurationError) {
        guard let slowest = targets.max(by: { $0.timeout < $1.timeout }) else { return }
        let shortest = LeaseTerms.shortestLease(covering: slowest.timeout)
        guard settings.lease < shortest else { return }
        let given = try section.duration("lease") == nil ? " (the default)" : ""
        throw section.error(
            "lease",
            "\(settings.lease.configurationText)\(given) is too short for target \(slowest.name), whose calls time out after "
                + "\(slowest.timeout.configurationText): a call starts only with more than its timeout and "
                + "\(LeaseTerms.defaultMargin.configurationText) of lease left, and leases are renewed every quarter lease, so the lease "
                + "must be at least \(shortest.configurationText); raise store.lease or lower that target's timeout")
    }
}
