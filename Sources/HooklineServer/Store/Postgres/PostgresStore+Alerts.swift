import Foundation
import HooklineCore
import PostgresNIO

extension PostgresStore {
    /// Over the lanes' heads (a lane's head is its oldest job): as many rows as lanes with work.
    package func oldestWaiting() async throws(JournalFailure) -> [String: UnixTime] {
        let rows = try await database.query(
            """
            SELECT j.target, min(e.received_at) FROM hookline_lanes l
            JOIN hookline_jobs j ON j.id = l.head JOIN hookline_events e ON e.id = j.event_id
            GROUP BY j.target
            """, "oldest_waiting")
        let pairs = try PostgresJournal.decodeAll(rows) { (try $0[0].decode(String.self), UnixTime(try $0[1].decode(Date.self))) }
        return Dictionary(pairs, uniquingKeysWith: min)
    }

    /// The instance whose change of the alert's row lands first sends it (`hookline_alert`);
    /// a repeat waits for `repeatEvery` less a tenth since the last send (the instances' ticks
    /// are not in step).
    package func record(alert message: AlertMessage, repeatEvery: Duration?) async throws(JournalFailure) -> Bool {
        let alert = message.alert
        let repeatSeconds: Double? = alert.repeated ? repeatEvery.map { Double($0.wholeMilliseconds) / 1000 * 0.9 } : nil
        let rows = try await database.query(
            """
            SELECT hookline_alert(\(alert.rule), \(alert.subjectKind), \(alert.subject), \(alert.state.rawValue), \(Date(message.since)),
                \(repeatSeconds), \(database.instance), \(message.summary))
            """, "alert")
        return try PostgresJournal.decodeAll(rows) { try $0[0].decode(Bool.self) }.first ?? false
    }

    package func sentAlerts(limit: Int) async throws(JournalFailure) -> [SentAlert] {
        let rows = try await database.query(
            """
            SELECT rule, subject_kind, subject, state, since, sent_at, sent_by, summary FROM hookline_alert_log
            ORDER BY id DESC LIMIT \(max(0, limit))
            """, "sent_alerts")
        return try PostgresJournal.decodeAll(rows) { row in
            SentAlert(
                rule: try row[0].decode(String.self), subjectKind: try row[1].decode(String.self), subject: try row[2].decode(String.self),
                state: AlertState(rawValue: try row[3].decode(String.self)) ?? .firing, since: UnixTime(try row[4].decode(Date.self)),
                sentAt: UnixTime(try row[5].decode(Date.self)), sentBy: try row[6].decode(String.self), summary: try row[7].decode(String.self))
        }
    }

    package var instanceName: String { database.instance }
}
