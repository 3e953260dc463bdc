import HooklineCore
import HooklineServer
import Mustache
import Synchronization

/// Who is asking, and how: a bearer token (the API, the CLI) or a browser's session cookie.
struct Principal: Sendable {
    var name: String
    var role: ConsoleSettings.Role
    /// The session's form token, for a browser; nil for a bearer token (no cookie, no CSRF).
    var formToken: String?
    var canAct: Bool { role == .operator }
}

/// The console: pages and a JSON API over the running Hookline's store, behind tokens.
final class ConsoleApp: Sendable {
    struct Session: Sendable {
        var principal: Principal
        var expires: MonotonicTime
    }

    let running: RunningHookline
    let settings: ConsoleSettings
    let templates: MustacheLibrary
    /// Decodes a payload again, to say what it became (with the sources as they are now).
    var decoder: EventJobs { EventJobs(running.configuration) }
    /// The tokens as they are now: a reload may add, remove or change them.
    var tokens: [ConsoleSettings.Token] { running.configuration.console?.tokens ?? settings.tokens }
    private let sessions = Mutex<[String: Session]>([:])
    /// Redrives by filter, by id, until a restart.
    let redrives = RedriveRuns()
    static let sessionCookie = "hookline_session"
    static let sessionLife: Duration = .seconds(12 * 3600)
    static let pageSize = 50

    /// Sent with every answer: no inline script, no framing, nothing cached, no referrer.
    static let securityHeaders: [(String, String)] = [
        ("content-security-policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("x-content-type-options", "nosniff"),
        // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on its
        // own form posts, which the Origin check must refuse. Other sites still get nothing.
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
        ("x-frame-options", "DENY"),
    ]

    init(running: RunningHookline, settings: ConsoleSettings) throws {
        self.running = running
        self.settings = settings
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all { try library.register(text, named: name) }
        self.templates = library
    }

    // MARK: Routing

    func handle(_ request: ConsoleRequest) async -> ConsoleResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        switch (request.method, segments) {
        case ("GET", []): return .redirect("/events")
        case ("GET", ["static", "console.css"]):
            return ConsoleResponse(status: 200, headers: [("content-type", "text/css")], body: Array(ConsoleTemplates.css.utf8))
        case ("GET", ["static", "console.js"]):
            return ConsoleResponse(status: 200, headers: [("content-type", "text/javascript")], body: Array(ConsoleTemplates.script.utf8))
        case ("GET", ["login"]): return page("login", title: "Sign in", ["error": false], principal: nil)
        case ("POST", ["login"]): return login(request)
        default: break
        }
        guard let principal = authenticate(request) else {
            return request.isAPI ? .json(401, ["error": "a token is required: Authorization: Bearer <token>"]) : .redirect("/login")
        }
        if request.method == "POST" {
            if let refused = checkPost(request, principal) { return refused }
        }
        do {
            return try await route(request, segments, principal)
        } catch let error as EventQueryError {
            return request.isAPI ? .json(400, ["error": .string(error.description)]) : page("error", title: "Bad filter", ["message": error.description], principal: principal, status: 400)
        } catch {
            return request.isAPI ? .json(503, ["error": .string("\(error)")]) : page("error", title: "Unavailable", ["message": "\(error)"], principal: principal, status: 503)
        }
    }

    private func route(_ request: ConsoleRequest, _ segments: [String], _ principal: Principal) async throws -> ConsoleResponse {
        let api = segments.first == "api"
        let rest = api ? Array(segments.dropFirst()) : segments
        let get = request.method == "GET"
        let post = request.method == "POST"
        if post, rest == ["logout"] {
            if let id = request.cookie(Self.sessionCookie) { _ = sessions.withLock { $0.removeValue(forKey: id) } }
            return .redirect("/login", headers: [("set-cookie", "\(Self.sessionCookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")])
        }
        if get, rest == ["events"] {
            let query = try EventQuery(items: request.query, now: .now())
            if !api, let event = query.event, query.items().count == 1 { return .redirect("/events/\(FormEncoding.escape(event))") }
            return try await events(query, api: api, principal: principal, view: "events", title: "Events")
        }
        if get, rest == ["dead-letters"] {
            var query = try EventQuery(items: request.query, now: .now())
            query.outcome = query.outcome ?? .dead
            guard query.outcome == .dead || query.outcome == .failed else { throw EventQueryError("outcome: dead letters are dead or failed") }
            return try await events(query, api: api, principal: principal, view: "dead-letters", title: "Dead letters")
        }
        if get, rest.count == 2, rest[0] == "events" {
            return try await event(rest[1], api: api, principal: principal)
        }
        if post, rest.count == 3, rest[0] == "events", rest[2] == "redrive" {
            guard principal.canAct else { return forbidden(api) }
            let id = rest[1]
            let results = try await running.redrive(RedriveRequest(outcomes: [.failed, .dead], event: id, by: "console:\(principal.name)"))
            let redriven = results.flatMap(\.targets)
            if api { return .json(200, ["event": .string(id), "redriven": .array(redriven.map(JSONValue.string))]) }
            return .redirect("/events/\(FormEncoding.escape(id))")
        }
        if rest == ["redrive"], get || post {
            // A form posts its filters in its body; the API and the confirm page take them in the URL.
            let items = post && !request.form.isEmpty ? request.form.filter { $0.0 != "form_token" } : request.query
            let query = try EventQuery(items: items, now: .now())
            return get ? try await confirmRedrive(query, api: api, principal: principal) : try await startRedrive(query, api: api, principal: principal)
        }
        if get, rest.count == 2, rest[0] == "redrive" {
            return redriveProgress(rest[1], api: api, principal: principal)
        }
        if get, rest == ["targets"] {
            return try await targets(api: api, principal: principal)
        }
        if post, rest.count == 3, rest[0] == "targets", rest[2] == "pause" || rest[2] == "resume" {
            guard principal.canAct else { return forbidden(api) }
            let target = rest[1]
            guard running.configuration.target(named: target) != nil else { return notFound(api, "no target named '\(target)'") }
            let by = "console:\(principal.name)"
            let changed = rest[2] == "pause" ? try await running.store.pause(target, by: by) : try await running.store.resume(target, by: by)
            if api { return .json(200, ["target": .string(target), "changed": .bool(changed), "paused": .bool(running.store.paused[target] != nil)]) }
            return .redirect("/targets")
        }
        if get, rest == ["alerts"] {
            return try await alerts(api: api, principal: principal)
        }
        return notFound(api, "no such page")
    }

    // MARK: Sign-in

    private func tokenPrincipal(_ token: String) -> Principal? {
        let digest = SHA256Digest.hash(Array(token.utf8))
        var found: ConsoleSettings.Token?
        // Every token is compared, in constant time, whichever matches.
        for candidate in tokens where ConstantTime.equals(candidate.sha256, digest) { found = candidate }
        return found.map { Principal(name: $0.name, role: $0.role, formToken: nil) }
    }

    private func authenticate(_ request: ConsoleRequest) -> Principal? {
        if let authorization = request.header("authorization"), authorization.hasPrefix("Bearer ") {
            return tokenPrincipal(String(authorization.dropFirst("Bearer ".count)))
        }
        guard let id = request.cookie(Self.sessionCookie) else { return nil }
        let now = MonotonicTime.now()
        let tokens = self.tokens
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            // A session lasts while its token does (a reload may remove it), with its role now.
            guard now < session.expires, let token = tokens.first(where: { $0.name == session.principal.name }) else {
                sessions[id] = nil
                return nil
            }
            var principal = session.principal
            principal.role = token.role
            return principal
        }
    }

    private func login(_ request: ConsoleRequest) -> ConsoleResponse {
        guard originMatches(request) else { return .html(403, "cross-site sign-in refused") }
        let token = request.form.first { $0.0 == "token" }?.1 ?? ""
        guard var principal = tokenPrincipal(token) else {
            return page("login", title: "Sign in", ["error": true], principal: nil, status: 401)
        }
        let id = Self.random()
        principal.formToken = Self.random()
        let session = Session(principal: principal, expires: .now() + Self.sessionLife)
        sessions.withLock { sessions in
            let now = MonotonicTime.now()
            sessions = sessions.filter { now < $0.value.expires }
            sessions[id] = session
        }
        let secure = settings.publicURL?.hasPrefix("https://") == true ? "; Secure" : ""
        return .redirect("/events", headers: [("set-cookie", "\(Self.sessionCookie)=\(id); Path=/; HttpOnly; SameSite=Strict\(secure)")])
    }

    /// A browser's POST must come from the console's own pages: its Origin is the console's,
    /// and it carries the session's form token. A bearer token sends no cookie: nothing to forge.
    private func checkPost(_ request: ConsoleRequest, _ principal: Principal) -> ConsoleResponse? {
        guard let expected = principal.formToken else { return nil }
        guard originMatches(request) else { return request.isAPI ? .json(403, ["error": "cross-site request refused"]) : .html(403, "cross-site request refused") }
        let sent = request.form.first { $0.0 == "form_token" }?.1 ?? request.header("x-form-token") ?? ""
        guard ConstantTime.equals(Array(sent.utf8), Array(expected.utf8)) else {
            return request.isAPI ? .json(403, ["error": "the form token is missing or stale: reload the page"]) : .html(403, "the form token is missing or stale: reload the page")
        }
        return nil
    }

    private func originMatches(_ request: ConsoleRequest) -> Bool {
        guard let origin = request.header("origin") else { return false }
        if let publicURL = settings.publicURL, origin == publicURL { return true }
        guard let host = request.header("host") else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    // MARK: Answers

    func forbidden(_ api: Bool) -> ConsoleResponse {
        api ? .json(403, ["error": "this token may look, not act (role: viewer)"]) : .html(403, "viewers may look, not act")
    }

    func notFound(_ api: Bool, _ message: String) -> ConsoleResponse {
        api ? .json(404, ["error": .string(message)]) : .html(404, message)
    }

    /// A page: `template` rendered inside the layout.
    func page(_ template: String, title: String, _ context: [String: Any], principal: Principal?, status: Int = 200) -> ConsoleResponse {
        var full = context
        full["title"] = title
        full["signed_in"] = principal != nil
        full["who"] = principal.map { "\($0.name) (\($0.role.rawValue))" } ?? ""
        full["can_act"] = principal?.canAct ?? false
        full["form_token"] = principal?.formToken ?? ""
        let content = templates.render(full, withTemplate: template) ?? ""
        full["content"] = content
        return .html(status, templates.render(full, withTemplate: "layout") ?? content)
    }
}
