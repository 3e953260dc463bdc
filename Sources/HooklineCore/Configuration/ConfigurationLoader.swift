import Yams

/// Reads Hookline's YAML configuration strictly: unknown keys, wrong types, dangling names and
/// unset `${ENV}` variables are errors that name the file, line and key.
package enum ConfigurationLoader {
    /// Parses `yaml` (the contents of `file`), expanding `${NAME}` from `environment`.
    package static func load(
        yaml: String,
        file: String,
        environment: [String: String]
    ) throws(ConfigurationError) -> HooklineConfiguration {
        let top = try YAMLSection(compose(yaml, file: file), path: "", file: file, environment: environment)
        try top.checkKeys(["server", "audit", "queue", "retry", "store", "sources", "targets", "routes", "alerts", "console", "tracing"])

        var configuration = HooklineConfiguration()
        if let section = try top.section("server") { configuration.server = try server(section) }
        if let section = try top.section("audit") { configuration.audit = try audit(section) }
        if let section = try top.section("queue") { configuration.queue = try queue(section) }
        if let section = try top.section("retry") { configuration.retry = try retry(section) }
        if let section = try top.section("store") { configuration.store = try store(section, dedupMaxAge: configuration.queue.dedupMaxAge) }
        configuration.targets = try targets(top.sections("targets"))
        if case .postgres(let settings) = configuration.store, let section = try top.section("store") {
            try checkLease(settings, targets: configuration.targets, section: section)
        }
        configuration.sources = try sources(top.sections("sources"), targets: configuration.targets, top: top)
        configuration.routes = try routes(top.sections("routes"), configuration: configuration)
        guard !configuration.sources.isEmpty else {
            throw top.error("sources", "at least one source is required")
        }
        if let section = try top.section("console") { configuration.console = try console(section) }
        if let section = try top.section("tracing") {
            configuration.tracing = try tracing(section, sources: Set(configuration.sources.map(\.name)), environment: environment)
        }
        if let section = try top.section("alerts") {
            configuration.alerts = try alerts(section, targets: configuration.targets, sources: configuration.sources)
        }
        return configuration
    }

    /// A list of address blocks (`10.0.0.0/8`, `2001:db8::/32`, or single addresses).
    static func cidrs(_ section: YAMLSection, _ key: String) throws(ConfigurationError) -> [CIDR] {
        var blocks: [CIDR] = []
        for text in try section.strings(key) ?? [] {
            guard let block = CIDR(text) else {
                throw section.error(key, "'\(text)' is not an address or address block such as 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32 (no host bits below the prefix)")
            }
            blocks.append(block)
        }
        return blocks
    }

    private static func yamlProblem(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            "\(problem) at line \(mark.line), column \(mark.column)"
        default:
            "\(error)"
        }
    }

    private static func server(_ section: YAMLSection) throws(ConfigurationError) -> ServerSettings {
        try section.checkKeys([
            "host", "port", "max_body_bytes", "max_header_bytes", "request_timeout", "idle_timeout", "drain_timeout", "event_loops",
            "max_connections", "trusted_proxies", "proxy_protocol",
        ])
        var settings = ServerSettings()
        if let host = try section.string("host") { settings.host = host }
        if let port = try section.int("port", range: 0...65535) { settings.port = port }
        if let size = try section.size("max_body_bytes") {
            guard size >= 1024 else { throw section.error("max_body_bytes", "must be at least 1KiB") }
            settings.maxBodyBytes = size
        }
        if let size = try section.size("max_header_bytes") {
            guard size >= 1024 else { throw section.error("max_header_bytes", "must be at least 1KiB") }
            settings.maxHeaderBytes = size
        }
        if let value = try section.duration("request_timeout") { settings.requestTimeout = value }
        if let value = try section.duration("idle_timeout") { settings.idleTimeout = value }
        if let value = try section.duration("drain_timeout") { settings.drainTimeout = value }
        settings.eventLoops = try section.int("event_loops", range: 1...256)
        if let value = try section.int("max_connections", range: 1...1_000_000) { settings.maxConnections = value }
        settings.trustedProxies = try cidrs(section, "trusted_proxies")
        if let value = try section.bool("proxy_protocol") { settings.proxyProtocol = value }
        return settings
    }

    /// The YAML document of `yaml`, or an error naming `file`.
    private static func compose(_ yaml: String, file: String) throws(ConfigurationError) -> Node {
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                throw ConfigurationError(file: file, path: "", problem: "the file is empty; at least one source is required")
            }
            return composed
        } catch let error as ConfigurationError {
            throw error
        } catch let error as YamlError {
            throw ConfigurationError(file: file, path: "", problem: "not valid YAML: \(yamlProblem(error))")
        } catch {
            throw ConfigurationError(file: file, path: "", problem: "not valid YAML")
        }
    }

    /// `audit.path` of `yaml` alone (or its default), when the rest of the file may not load:
    /// what finds a running Hookline's control socket to tell it that its file is wrong.
    package static func auditPath(yaml: String, file: String, environment: [String: String]) throws(ConfigurationError) -> String {
        let top = try YAMLSection(compose(yaml, file: file), path: "", file: file, environment: environment)
        return try top.section("audit")?.string("path") ?? AuditSettings().path
    }

    private static func audit(_ section: YAMLSection) throws(ConfigurationError) -> AuditSettings {
        try section.checkKeys(["path", "fsync", "rotate_bytes", "rejected", "payloads"])
        var settings = AuditSettings()
        if let path = try section.string("path") { settings.path = path }
        if let text = try section.string("fsync") {
            guard let policy = FsyncPolicy(rawValue: text) else {
                throw section.error("fsync", "expected batch or none, got '\(text)'")
            }
            settings.fsync = policy
        }
        if let size = try section.size("rotate_bytes") { settings.rotateBytes = size }
        if let text = try section.string("payloads") {
            guard let keeping = PayloadKeeping(rawValue: text) else {
                throw section.error("payloads", "expected full, redacted or none, got '\(text)'")
            }
            settings.payloads = keeping
        }
        if let rejected = try section.section("rejected") {
            try rejected.checkKeys(["lines_per_reason", "lines_total", "window"])
            var limits = settings.rejectedLines
            if let value = try rejected.int("lines_per_reason", range: 0...1_000_000) { limits.linesPerReason = value }
            if let value = try rejected.int("lines_total", range: 0...10_000_000) { limits.linesTotal = value }
            if let value = try rejected.duration("window") {
                guard value >= .milliseconds(100) else { throw rejected.error("window", "must be at least 100ms") }
                limits.window = value
            }
            settings.rejectedLines = limits
        }
        return settings
    }

    private static func queue(_ section: YAMLSection) throws(ConfigurationError) -> QueueSettings {
        try section.checkKeys(["capacity", "workers", "high_watermark", "retry_after", "dedup"])
        var settings = QueueSettings()
        if let value = try section.int("capacity", range: 1...100_000_000) { settings.capacity = value }
        if let value = try section.int("workers", range: 1...1024) { settings.workers = value }
        if let value = try section.double("high_watermark", range: 0.01...1) { settings.highWatermark = value }
        if let value = try section.duration("retry_after") { settings.retryAfter = value }
        if let dedup = try section.section("dedup") {
            try dedup.checkKeys(["max_entries", "max_age"])
            if let value = try dedup.int("max_entries", range: 1...100_000_000) { settings.dedupMaxEntries = value }
            if let value = try dedup.duration("max_age") { settings.dedupMaxAge = value }
        }
        return settings
    }

    private static func retry(_ section: YAMLSection) throws(ConfigurationError) -> RetryPolicy {
        try section.checkKeys(["base_delay", "max_delay", "max_attempts", "max_age"])
        var policy = RetryPolicy()
        if let value = try section.duration("base_delay") { policy.baseDelay = value }
        if let value = try section.duration("max_delay") { policy.maxDelay = value }
        if let value = try section.int("max_attempts", range: 1...1000) { policy.maxAttempts = value }
        if let value = try section.duration("max_age") { policy.maxAge = value }
        return policy
    }

    private static func checkName(_ section: YAMLSection, _ name: String) throws(ConfigurationError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard allowed else {
            throw section.error("name", "'\(name)' may only contain letters, digits, - and _ (it becomes part of a URL)")
        }
    }

    private static func targets(_ sections: [YAMLSection]) throws(ConfigurationError) -> [TargetSettings] {
        var targets: [TargetSettings] = []
        for section in sections {
            let name = try section.requiredString("name")
            try checkName(section, name)
            guard !targets.contains(where: { $0.name == name }) else {
                throw section.error("name", "a target named '\(name)' is already configured")
            }
            let kindName = try section.requiredString("kind")
            guard let kind = TargetKind(rawValue: kindName) else {
                throw section.error("kind", "unknown target kind '\(kindName)' (expected one of: \(TargetKind.names.joined(separator: ", ")))")
            }
            try section.checkKeys(["name", "kind", "base_url", "timeout", "rate_limit"] + kind.requiredOptions + kind.optionalOptions)
            let baseURL = try section.requiredString("base_url")
            guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
                throw section.error("base_url", "expected an http:// or https:// URL, got '\(baseURL)'")
            }
            var target = TargetSettings(name: name, kind: kind, baseURL: baseURL, rateLimit: kind.defaultRateLimit)
            if let timeout = try section.duration("timeout") { target.timeout = timeout }
            target.rateLimit = try rateLimit(section, default: kind.defaultRateLimit)
            for option in kind.requiredOptions { target.options[option] = try section.requiredString(option) }
            for option in kind.optionalOptions { target.options[option] = try section.string(option) }
            targets.append(target)
        }
        return targets
    }

    private static func rateLimit(_ section: YAMLSection, default fallback: RateLimitSettings?) throws(ConfigurationError) -> RateLimitSettings? {
        guard let node = section.node("rate_limit") else { return fallback }
        if case .scalar = node {
            let text = try section.scalarText(node, key: "rate_limit")
            guard ["off", "none", "false"].contains(text) else {
                throw section.error("rate_limit", "expected {requests: N, per: DURATION} or off, got '\(text)'", node: node)
            }
            return nil
        }
        guard let limit = try section.section("rate_limit") else { return fallback }
        try limit.checkKeys(["requests", "per", "burst"])
        guard let requests = try limit.int("requests", range: 1...1_000_000) else { throw limit.error("requests", "required") }
        guard let period = try limit.duration("per"), period > .zero else { throw limit.error("per", "required, a duration such as 10s") }
        let burst = try limit.int("burst", range: 1...requests) ?? 1
        return RateLimitSettings(requests: requests, period: period, burst: burst)
    }

    private static func sources(
        _ sections: [YAMLSection],
        targets: [TargetSettings],
        top: YAMLSection
    ) throws(ConfigurationError) -> [SourceSettings] {
        var sources: [SourceSettings] = []
        for section in sections {
            try section.checkKeys(["name", "kind", "signature", "id_header", "event_header", "resolve_with", "allow"])
            let name = try section.requiredString("name")
            try checkName(section, name)
            guard name != "unknown" else {
                throw section.error("name", "'unknown' is reserved: metrics count requests to sources that do not exist under it")
            }
            guard !sources.contains(where: { $0.name == name }) else {
                throw section.error("name", "a source named '\(name)' is already configured")
            }
            let kindName = try section.requiredString("kind")
            guard let kind = SourceKind(rawValue: kindName) else {
                throw section.error("kind", "unknown source kind '\(kindName)' (expected one of: \(SourceKind.names.joined(separator: ", ")))")
            }
            guard let signature = try section.section("signature") else {
                throw section.error("signature", "required: how this source signs its webhooks")
            }
            let verifier = try self.verifier(signature)

            var resolveWith = try section.string("resolve_with")
            if let resolver = resolveWith {
                guard let target = targets.first(where: { $0.name == resolver }) else {
                    throw section.error("resolve_with", "no target named '\(resolver)'")
                }
                guard target.kind.fetchesContacts else {
                    let fetchers = TargetKind.allCases.filter(\.fetchesContacts).map(\.rawValue).joined(separator: " or ")
                    throw section.error("resolve_with", "target '\(resolver)' is a \(target.kind) target; thin messages are fetched from a \(fetchers) target")
                }
            } else if kind.sendsThinReferences {
                let fetchers = targets.filter(\.kind.fetchesContacts)
                if fetchers.count == 1 { resolveWith = fetchers[0].name }
            }
            var source = SourceSettings(
                name: name, kind: kind, verifier: verifier,
                idHeader: try section.string("id_header"),
                eventHeader: try section.string("event_header"),
                resolveWith: resolveWith)
            source.allow = try cidrs(section, "allow")
            sources.append(source)
        }
        return sources
    }

    private static func routes(
        _ sections: [YAMLSection],
        configuration: HooklineConfiguration
    ) throws(ConfigurationError) -> [Route] {
        var routes: [Route] = []
        for section in sections {
            try section.checkKeys(["from", "to", "events", "contact_id"])
            let from = try section.requiredString("from")
            guard configuration.source(named: from) != nil else {
                throw section.error("from", "no source named '\(from)'")
            }
            let to = try section.requiredString("to")
            guard configuration.target(named: to) != nil else {
                throw section.error("to", "no target named '\(to)'")
            }
            guard !routes.contains(where: { $0.source == from && $0.target == to }) else {
                throw section.error("to", "a route from '\(from)' to '\(to)' is already configured")
            }
            var events = Set(ContactEventKind.allCases)
            if let names = try section.strings("events") {
                events = []
                for name in names {
                    guard let kind = ContactEventKind(rawValue: name) else {
                        throw section.error("events", "unknown event '\(name)' (expected created, updated or deleted)")
                    }
                    events.insert(kind)
                }
            }
            var rule = ContactIDRule.sourceID
            if let text = try section.string("contact_id") {
                guard let parsed = ContactIDRule(configuration: text) else {
                    throw section.error("contact_id", "expected source_id, mapping or field:<path> such as field:custom_fields.plannr_account_uuid, got '\(text)'")
                }
                if case .field(let path) = parsed, !(path.hasPrefix("custom_fields.") || path.hasPrefix("external_references.")) {
                    throw section.error("contact_id", "a field path starts with custom_fields. or external_references., got '\(path)'")
                }
                rule = parsed
            }
            routes.append(Route(source: from, target: to, events: events, contactID: rule))
        }
        return routes
    }
}
