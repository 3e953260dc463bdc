import ArgumentParser
import HooklineCore

/// `hookline check-config FILE`: validates a configuration and summarises it.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file; errors name the file, line and key.",
        discussion: "Environment variables the file refers to must be set, as they would be for serve."
    )

    @Argument(help: "The YAML configuration file.")
    var file: String

    func run() throws {
        Console.show(try render(), terminator: "")
    }

    func render(environment: [String: String] = ProcessEnvironment.current) throws -> String {
        let configuration = try ConfigurationFile.load(file, environment: environment)
        var lines = ["\(file): OK"]
        lines.append("  listen     http://\(configuration.server.host):\(configuration.server.port)")
        if configuration.server.proxyProtocol {
            lines.append("  proxies    every connection starts with a PROXY protocol header (v1 or v2) naming the client")
        }
        if !configuration.server.trustedProxies.isEmpty {
            lines.append(
                "  proxies    X-Forwarded-For names the client only from \(configuration.server.trustedProxies.map(\.description).joined(separator: ", "))")
        }
        lines.append("  audit log  \(configuration.audit.path) (fsync: \(configuration.audit.fsync.rawValue))")
        switch (configuration.audit.payloads, configuration.store) {
        case (.full, _): lines.append("  payloads   kept whole (audit.payloads: full)")
        case (let keeping, .file):
            lines.append("  payloads   whole in the live log while it is the journal; \(keeping == .redacted ? "redacted" : "dropped") in each archive")
        case (let keeping, .postgres):
            lines.append("  payloads   whole in the database until an event's jobs are done, then \(keeping == .redacted ? "redacted" : "dropped"); \(keeping == .redacted ? "redacted" : "none") in this instance's log")
        }
        switch configuration.store {
        case .file:
            lines.append("  store      file (the audit log is the journal; one Hookline owns it)")
        case .postgres(let settings):
            // The URL prints with its password hidden.
            lines.append(
                "  store      postgres \(settings.url) (pool \(settings.poolSize), lease \(settings.lease.configurationText), "
                    + "retention \(settings.retention.configurationText), adopt after \(settings.adoptAfter.configurationText))")
        }
        let server = configuration.server
        let rejected = configuration.audit.rejectedLines
        lines.append(
            "  limits     \(server.maxConnections) connections, bodies \(server.maxBodyBytes) bytes, headers \(server.maxHeaderBytes) bytes, "
                + "rejected lines \(rejected.linesPerReason) per source and reason and \(rejected.linesTotal) in all per \(rejected.window.configurationText)")
        for source in configuration.sources {
            lines.append("  source     \(source.name) (\(source.kind), \(source.verifier.scheme.name), \(source.verifier.keys.count) secret\(source.verifier.keys.count == 1 ? "" : "s")) at POST /webhooks/\(source.name)")
            if !source.allow.isEmpty {
                lines.append("             only from \(source.allow.map(\.description).joined(separator: ", ")); others are refused 403")
            }
        }
        for target in configuration.targets {
            let limit = target.rateLimit.map { "\($0.requests) per \($0.period.secondsValue.formatted) s, burst \($0.burst)" } ?? "no rate limit"
            lines.append("  target     \(target.name) (\(target.kind), \(target.baseURL), \(limit))")
        }
        for route in configuration.routes {
            let events = ContactEventKind.allCases.filter(route.events.contains).map(\.rawValue).joined(separator: ",")
            lines.append("  route      \(route.source) → \(route.target) [\(events)] contact id: \(route.contactID)")
        }
        if let console = configuration.console {
            let tokens = console.tokens.map(\.description).joined(separator: ", ")
            lines.append("  console    http://\(console.host):\(console.port)\(console.publicURL.map { " (public: \($0))" } ?? "") — tokens: \(tokens)")
        }
        for channel in configuration.alerts.channels {
            // The host only: a channel's URL path may be a token (Slack's is) and its secret is one.
            let signed = if case .webhook = channel.kind { ", signed as Standard Webhooks" } else { "" }
            lines.append("  alerts to  \(channel) at \(channel.host)\(signed)")
        }
        for rule in configuration.alerts.rules {
            let every = rule.repeatEvery.map { ", again every \($0.configurationText) while it holds" } ?? ""
            lines.append("  alert      \(rule.name): \(rule.conditionText) → \(rule.to.joined(separator: ", "))\(every)")
        }
        let tracing = configuration.tracing.plan?.summary ?? ["off"]
        for (index, line) in tracing.enumerated() { lines.append((index == 0 ? "  tracing    " : "             ") + line) }
        if let console = configuration.console, !["127.0.0.1", "::1", "localhost"].contains(console.host),
            console.publicURL?.hasPrefix("https://") != true
        {
            lines.append(
                "  warning    the console listens on \(console.host) without an https public_url: tokens and session cookies would cross the network in clear; put TLS in front (docs/internet.md) and set console.public_url")
        }
        for source in configuration.sources where source.kind.sendsThinReferences && source.resolveWith == nil {
            lines.append("  warning    source \(source.name) has no resolve_with target: thin \(source.kind) deliveries will fail")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Double {
    /// `10` rather than `10.0`.
    fileprivate var formatted: String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}
