import HooklineCore
import HooklineServer

extension ConsoleApp {
    // MARK: Events

    func events(_ query: EventQuery, api: Bool, principal: Principal, view: String, title: String) async throws -> ConsoleResponse {
        let page = try await running.store.events(query, limit: Self.pageSize)
        if api {
            var object: JSONObject = ["events": .array(page.events.map(Self.json))]
            object.members.append(.init(key: "next", value: page.next.map(JSONValue.string) ?? .null))
            if let back = page.searchedBackTo { object.members.append(.init(key: "searched_back_to", value: .string(back.rfc3339))) }
            return .json(200, .object(object))
        }
        let filters = Dictionary(query.items().map { ($0.0, $0.1) }, uniquingKeysWith: { $1 })
        var context: [String: Any] = [
            "rows": page.events.map(Self.row),
            "empty": page.events.isEmpty,
            "filters": filters,
            "outcomes": EventQuery.states.map { ["name": $0.rawValue, "selected": $0 == query.outcome] },
            "dead_tabs": [AuditOutcome.dead, .failed].map { ["name": $0.rawValue, "selected": $0 == query.outcome] },
        ]
        if let next = page.next {
            var following = query
            following.before = next
            context["older"] = "/\(view)" + FormEncoding.query(following.items(cursor: true))
        }
        if let back = page.searchedBackTo { context["searched_back_to"] = back.rfc3339 }
        context["query"] = String(FormEncoding.query(query.items()).dropFirst())
        return self.page(view, title: title, context, principal: principal)
    }

    static func json(_ summary: EventSummary) -> JSONValue {
        [
            "id": .string(summary.id), "ts": .string(summary.ts.rfc3339), "source": .string(summary.source), "type": .string(summary.type),
            "contact": .string(summary.contact), "message": summary.message.map(JSONValue.string) ?? .null, "redriven": .bool(summary.redriven),
            "targets": .array(
                summary.targets.map {
                    ["target": .string($0.target), "state": .string($0.state.rawValue), "attempts": .number(String($0.attempts))]
                }),
        ]
    }

    static func row(_ summary: EventSummary) -> [String: Any] {
        [
            "id": summary.id, "link": "/events/\(FormEncoding.escape(summary.id))", "ts": summary.ts.rfc3339, "source": summary.source,
            "type": summary.type, "contact": summary.contact, "redriven": summary.redriven,
            "targets": summary.targets.map {
                ["target": $0.target, "state": $0.state.rawValue, "attempts": $0.attempts == 1 ? "1 attempt" : "\($0.attempts) attempts"]
            },
        ]
    }

    // MARK: One event

    /// Why an event shows no payload.
    static func absence(of opening: AuditRecord) -> String {
        if let erased = opening.erased { return "(erased at \(erased.rfc3339)\(opening.erasedReason.map { ": \($0)" } ?? ""))" }
        if opening.payloadKept == PayloadKept.none { return "(not kept: audit.payloads is none)" }
        return "(not kept)"
    }

    func event(_ id: String, api: Bool, principal: Principal) async throws -> ConsoleResponse {
        guard let detail = try await running.store.event(id) else { return notFound(api, "no event '\(id)'") }
        let payload = detail.opening.payload.flatMap { try? JSONParser.parse($0) }
        let shown = payload.map { principal.canAct ? $0 : PayloadMask.mask($0) }
        let summary = detail.summary
        let decoded: String
        switch decoder.message(of: detail.opening) {
        case .success(let message): decoded = DecodedSummary.describe(message.message)
        case .failure(let failure): decoded = "not decoded again: \(failure)"
        }
        if api {
            var object: JSONObject = ["event": Self.json(summary), "decoded": .string(decoded)]
            object.members.append(.init(key: "payload", value: shown ?? .null))
            object.members.append(.init(key: "masked", value: .bool(!principal.canAct)))
            object.members.append(.init(key: "lines", value: .array(detail.lines.map { (try? JSONParser.parse($0.jsonLine)) ?? .null })))
            return .json(200, .object(object))
        }
        let timeline: [[String: Any]] = detail.lines.map(Self.timelineRow)
        var context: [String: Any] = [
            "event": Self.row(summary), "message": detail.opening.message ?? "",
            "contact_link": "/events?contact=\(FormEncoding.escape(summary.contact))", "decoded": decoded,
            "payload": shown.map { JSONWriter.string($0) } ?? Self.absence(of: detail.opening), "masked": !principal.canAct, "timeline": timeline,
            "redrivable": summary.targets.contains { [.dead, .failed].contains($0.state) },
        ]
        if let remote = detail.opening.remote, !remote.isEmpty { context["remote"] = remote }
        return page("event", title: "Event \(id)", context, principal: principal)
    }

    static func timelineRow(_ line: AuditRecord) -> [String: Any] {
        var row: [String: Any] = ["ts": line.ts.rfc3339, "outcome": line.outcome.rawValue, "target": line.target ?? ""]
        row["attempt"] = line.attempt.map(String.init) ?? ""
        row["status"] = line.status.map(String.init) ?? ""
        row["ms"] = line.ms.map(String.init) ?? ""
        row["error"] = line.error ?? line.reason ?? ""
        let retry: String = line.retryInMs.map { "\($0) ms" } ?? ""
        row["retry_in"] = retry
        row["by"] = line.by ?? ""
        return row
    }

    // MARK: Targets

    func targets(api: Bool, principal: Principal) async throws -> ConsoleResponse {
        let health = try await running.store.targetHealth()
        let paused = running.store.paused
        let streaks = running.metrics.consecutiveFailures
        let now = UnixTime.now()
        struct Row {
            var name: String
            var kind: String
            var paused: PausedTarget?
            var streak: Int
            var health: TargetHealth
        }
        let rows = running.configuration.targets.map {
            Row(name: $0.name, kind: "\($0.kind)", paused: paused[$0.name], streak: streaks[$0.name] ?? 0, health: health[$0.name] ?? TargetHealth())
        }
        func rate(_ window: TargetHealth.Window) -> JSONValue { window.successRate.map { .number(AlertBook.format($0)) } ?? .null }
        if api {
            return .json(
                200,
                [
                    "targets": .array(
                        rows.map { row in
                            [
                                "name": .string(row.name), "kind": .string(row.kind), "paused": .bool(row.paused != nil),
                                "paused_by": row.paused.map { .string($0.by) } ?? .null,
                                "success_rate_hour": rate(row.health.hour), "jobs_ended_hour": .number(String(row.health.hour.ended)),
                                "success_rate_day": rate(row.health.day), "jobs_ended_day": .number(String(row.health.day.ended)),
                                "last_success": row.health.lastApplied.map { .string($0.rfc3339) } ?? .null,
                                "consecutive_failures": .number(String(row.streak)),
                                "waiting": .number(String(row.health.waiting)),
                                "oldest_waiting_seconds": row.health.oldestWaiting.map { .number(String(now.since($0).components.seconds)) } ?? .null,
                            ]
                        })
                ])
        }
        func percent(_ window: TargetHealth.Window) -> String {
            window.successRate.map { "\(Int(($0 * 100).rounded()))% of \(window.ended)" } ?? "—"
        }
        let context: [String: Any] = [
            "targets": rows.map { row in
                [
                    "name": row.name, "kind": row.kind, "paused": row.paused != nil, "paused_by": row.paused?.by ?? "",
                    "hour": percent(row.health.hour), "day": percent(row.health.day),
                    "low": (row.health.hour.successRate ?? 1) < 0.9,
                    "last_success": row.health.lastApplied.map { AlertMessage.describe(now.since($0)) + " ago" } ?? "not in the last day",
                    "streak": row.streak, "waiting": row.health.waiting,
                    "waited": row.health.oldestWaiting.map { AlertMessage.describe(now.since($0)) } ?? "—",
                    "events": "/events?target=\(FormEncoding.escape(row.name))",
                ] as [String: Any]
            }
        ]
        return page("targets", title: "Targets", context, principal: principal)
    }

    // MARK: Alerts

    func alerts(api: Bool, principal: Principal) async throws -> ConsoleResponse {
        let sent = try await running.store.sentAlerts(limit: 200)
        let open = running.alerts?.open ?? []
        if api {
            return .json(
                200,
                [
                    "open": .array(
                        open.map {
                            ["rule": .string($0.rule), "state": .string($0.state.rawValue), $0.subjectKind: .string($0.subject)]
                        }),
                    "sent": .array(
                        sent.map {
                            [
                                "rule": .string($0.rule), "state": .string($0.state.rawValue), $0.subjectKind: .string($0.subject),
                                "since": .string($0.since.rfc3339), "sent_at": .string($0.sentAt.rfc3339), "sent_by": .string($0.sentBy),
                                "summary": .string($0.summary),
                            ]
                        }),
                ])
        }
        let context: [String: Any] = [
            "open": open.map { ["rule": $0.rule, "state": $0.state.rawValue, "subject": "\($0.subjectKind) \($0.subject)"] },
            "sent": sent.map { ["sent_at": $0.sentAt.rfc3339, "state": $0.state.rawValue, "summary": $0.summary, "sent_by": $0.sentBy] },
            "configured": running.alerts != nil,
        ]
        return page("alerts", title: "Alerts", context, principal: principal)
    }
}

/// What a viewer sees of a payload: its shape and ids, not its values.
enum PayloadMask {
    /// Keys whose values are kept: ids and kinds, never a person's data.
    static let kept: Set<String> = ["id", "type", "event", "object", "source_id", "created_at", "updated_at", "occurred_at", "timestamp"]

    static func mask(_ value: JSONValue, key: String? = nil) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.members.map { .init(key: $0.key, value: mask($0.value, key: $0.key)) }))
        case .array(let items):
            return .array(items.map { mask($0, key: key) })
        case .string, .number:
            return key.map(kept.contains) == true ? value : .string("•••")
        case .bool, .null:
            return value
        }
    }
}
