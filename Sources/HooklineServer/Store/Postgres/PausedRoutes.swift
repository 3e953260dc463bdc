import HooklineCore
import Synchronization

/// The targets paused fleet-wide (`hookline_paused`), as this instance last read them, and what
/// follows for it: the routes it claims lanes of and keeps lanes of at a finish are those
/// configured here whose target is not paused, and a job of a paused target claimed ahead is
/// given back, never handed out.
final class PausedRoutes: Sendable {
    private struct State {
        var paused: [String: PausedTarget] = [:]
        var configured: [Route]
        var claimable: [String]
    }

    private let state: Mutex<State>

    init(routes: [Route]) {
        state = Mutex(State(configured: routes, claimable: routes.map(\.storeKey)))
    }

    /// The routes configured now (a reload): their lanes are claimed from now on.
    func update(routes: [Route]) {
        state.withLock { state in
            state.configured = routes
            state.claimable = routes.filter { state.paused[$0.target] == nil }.map(\.storeKey)
        }
    }

    /// `source` US `target` of every route configured now.
    var routes: [String] { state.withLock { $0.configured.map(\.storeKey) } }

    var paused: [String: PausedTarget] { state.withLock { $0.paused } }

    /// `source` US `target` of the routes whose lanes this instance may claim and keep now.
    var claimable: [String] { state.withLock { $0.claimable } }

    func isPaused(_ target: String) -> Bool { state.withLock { $0.paused[target] != nil } }

    /// Takes the paused set as read; answers which targets it newly pauses and resumes.
    func set(_ paused: [String: PausedTarget]) -> (paused: Set<String>, resumed: Set<String>) {
        state.withLock { state in
            let before = Set(state.paused.keys)
            let after = Set(paused.keys)
            state.paused = paused
            state.claimable = state.configured.filter { paused[$0.target] == nil }.map(\.storeKey)
            return (after.subtracting(before), before.subtracting(after))
        }
    }
}
