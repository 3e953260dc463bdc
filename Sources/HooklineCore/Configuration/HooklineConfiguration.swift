/// Everything `hookline serve` needs, as read from YAML. Every field has a default except the
/// sources, targets and routes themselves.
package struct HooklineConfiguration: Sendable {
    package var server: ServerSettings
    package var audit: AuditSettings
    package var queue: QueueSettings
    package var retry: RetryPolicy
    package var sources: [SourceSettings]
    package var targets: [TargetSettings]
    package var routes: [Route]
    package var store: StoreSettings
    /// Where alerts go and when they fire; none by default.
    package var alerts: AlertSettings
    /// The web console; nil (off) unless configured.
    package var console: ConsoleSettings?
    /// OpenTelemetry traces; off by default.
    package var tracing: TracingSettings

    package init(
        server: ServerSettings = ServerSettings(),
        audit: AuditSettings = AuditSettings(),
        queue: QueueSettings = QueueSettings(),
        retry: RetryPolicy = RetryPolicy(),
        sources: [SourceSettings] = [],
        targets: [TargetSettings] = [],
        routes: [Route] = [],
        store: StoreSettings = .file,
        alerts: AlertSettings = AlertSettings(),
        console: ConsoleSettings? = nil,
        tracing: TracingSettings = TracingSettings()
    ) {
        self.server = server
        self.audit = audit
        self.queue = queue
        self.retry = retry
        self.sources = sources
        self.targets = targets
        self.routes = routes
        self.store = store
        self.alerts = alerts
        self.console = console
        self.tracing = tracing
    }

    package func source(named name: String) -> SourceSettings? { sources.first { $0.name == name } }
    package func target(named name: String) -> TargetSettings? { targets.first { $0.name == name } }
}

/// The HTTP listener.
package struct ServerSettings: Sendable, Hashable {
    package var host: String
    /// 0 picks a free port (tests).
    package var port: Int
    /// Larger bodies are answered 413 before they are read.
    package var maxBodyBytes: Int
    /// The request line and headers together.
    package var maxHeaderBytes: Int
    /// A request must arrive completely within this time of its first byte (slowloris defence).
    package var requestTimeout: Duration
    /// Keep-alive connections idle this long are closed.
    package var idleTimeout: Duration
    /// At shutdown, how long in-flight target calls may take to finish.
    package var drainTimeout: Duration
    /// NIO event loops; nil uses one per core.
    package var eventLoops: Int?
    /// Connections open at once; beyond them a new connection is answered 503 and closed.
    package var maxConnections: Int
    /// Peers whose `X-Forwarded-For` names the client (proxies in front of Hookline); from any
    /// other peer the header is ignored.
    package var trustedProxies: [CIDR] = []
    /// Every connection starts with a PROXY protocol header (v1 or v2) naming the client.
    package var proxyProtocol = false

    package init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 1 << 20,
        maxHeaderBytes: Int = 16 << 10,
        requestTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        drainTimeout: Duration = .seconds(30),
        eventLoops: Int? = nil,
        maxConnections: Int = 1024
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.drainTimeout = drainTimeout
        self.eventLoops = eventLoops
        self.maxConnections = maxConnections
    }
}

/// When the audit log is forced to disk.
package enum FsyncPolicy: String, Sendable, Hashable, CaseIterable {
    /// `fdatasync` before a 202, shared by concurrent requests (group commit): survives power loss.
    case batch
    /// Written before the 202 but left to the kernel: survives a process crash, not a power loss.
    case none
}

/// The JSONL audit log, which is also the journal recovery reads.
package struct AuditSettings: Sendable, Hashable {
    package var path: String
    package var fsync: FsyncPolicy
    /// Start a new file past this size; 0 never rotates.
    package var rotateBytes: Int
    /// How many `rejected` lines refused requests may write.
    package var rejectedLines: RejectionBudget.Limits
    /// What is kept of a payload once nothing needs it whole: archives, finished events' rows,
    /// a fleet instance's own log.
    package var payloads: PayloadKeeping

    package init(
        path: String = "hookline-audit.jsonl", fsync: FsyncPolicy = .batch, rotateBytes: Int = 256 << 20,
        rejectedLines: RejectionBudget.Limits = RejectionBudget.Limits(), payloads: PayloadKeeping = .full
    ) {
        self.path = path
        self.fsync = fsync
        self.rotateBytes = rotateBytes
        self.rejectedLines = rejectedLines
        self.payloads = payloads
    }
}

/// The in-memory job queue and the dedup window.
package struct QueueSettings: Sendable, Hashable {
    /// Jobs (event × target) held at most; past it, senders get 503 + Retry-After.
    package var capacity: Int
    package var workers: Int
    /// `/readyz` turns unready above this fraction of capacity.
    package var highWatermark: Double
    /// The `Retry-After` sent with a 503.
    package var retryAfter: Duration
    package var dedupMaxEntries: Int
    package var dedupMaxAge: Duration

    package init(
        capacity: Int = 100_000,
        workers: Int = 16,
        highWatermark: Double = 0.8,
        retryAfter: Duration = .seconds(5),
        dedupMaxEntries: Int = 100_000,
        dedupMaxAge: Duration = .seconds(86_400)
    ) {
        self.capacity = capacity
        self.workers = workers
        self.highWatermark = highWatermark
        self.retryAfter = retryAfter
        self.dedupMaxEntries = dedupMaxEntries
        self.dedupMaxAge = dedupMaxAge
    }
}

/// One webhook sender, reachable at `POST /webhooks/{name}`.
package struct SourceSettings: Sendable {
    package var name: String
    /// The message family.
    package var kind: SourceKind
    package var verifier: SignatureVerifier
    /// A header carrying the sender's message id, when the scheme has none of its own.
    package var idHeader: String?
    /// A header carrying the event name (for bodies that lack one).
    package var eventHeader: String?
    /// The target used to fetch contacts that arrive by reference (thin Buildr deliveries).
    package var resolveWith: String?
    /// The client addresses that may call this source; empty: any. Others are refused 403
    /// before the body is read.
    package var allow: [CIDR] = []

    package init(
        name: String,
        kind: SourceKind,
        verifier: SignatureVerifier,
        idHeader: String? = nil,
        eventHeader: String? = nil,
        resolveWith: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.verifier = verifier
        self.idHeader = idHeader
        self.eventHeader = eventHeader
        self.resolveWith = resolveWith
    }
}

/// A client-side call rate: `requests` per `period`, at most `burst` at once.
package struct RateLimitSettings: Sendable, Hashable {
    package var requests: Int
    package var period: Duration
    /// Calls allowed at once before spacing starts (1: evenly spaced).
    package var burst: Int

    package init(requests: Int, period: Duration, burst: Int = 1) {
        self.requests = requests
        self.period = period
        self.burst = burst
    }
}

/// A CRM Hookline applies events to.
package struct TargetSettings: Sendable, Hashable {
    package var name: String
    /// The CRM it is.
    package var kind: TargetKind
    /// The API's base URL, e.g. `https://api.buildr.com/api/2023-01`.
    package var baseURL: String
    /// Per-call timeout.
    package var timeout: Duration
    package static let defaultTimeout: Duration = .seconds(10)
    /// nil: no client-side limit.
    package var rateLimit: RateLimitSettings?
    /// Kind-specific settings (credentials, account ids), already `${ENV}`-expanded.
    package var options: [String: String]

    package init(
        name: String,
        kind: TargetKind,
        baseURL: String,
        timeout: Duration = TargetSettings.defaultTimeout,
        rateLimit: RateLimitSettings? = nil,
        options: [String: String] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.timeout = timeout
        self.rateLimit = rateLimit
        self.options = options
    }
}
