import Foundation
import HooklineCore
import Logging
import NIOConcurrencyHelpers

/// Whom each durable write tells, and how a batch tells them.
extension AuditLogWriter {
    /// A completion, where it wants to run (nil: the writer thread), and the dedup claim and
    /// the jobs its record settles.
    struct Waiter: Sendable {
        var executor: (any CompletionExecutor)?
        var completion: Notification
        var claim: MessageKey?
        var jobs: [Job] = []

        init(executor: (any CompletionExecutor)?, completion: @escaping Completion) {
            self.executor = executor
            self.completion = .failure(completion)
        }

        init(executor: (any CompletionExecutor)?, opening: @escaping @Sendable (OpeningOutcome) -> Void, claim: MessageKey?, jobs: [Job]) {
            self.executor = executor
            self.completion = .opening(opening)
            self.claim = claim
            self.jobs = jobs
        }
    }

    /// Whom a waiter tells, and how: an opening's completion takes its outcome directly, so the
    /// journal does not wrap it in a closure of its own per delivery.
    enum Notification: Sendable {
        case failure(Completion)
        case opening(@Sendable (OpeningOutcome) -> Void)

        func callAsFunction(_ error: JournalFailure?) {
            switch self {
            case .failure(let completion): completion(error)
            case .opening(let completion): completion(error.map(OpeningOutcome.failed) ?? .durable)
            }
        }
    }

    /// Settles the batch's dedup claims and jobs, then runs its completions: those bound to an
    /// executor in one hop per executor, the rest here. `claims` and `jobs` are the writer
    /// thread's buffers, reused from batch to batch.
    func complete(_ waiters: [Waiter], error: JournalFailure?, claims: inout [MessageKey], jobs: inout [Job]) {
        if let settle {
            claims.removeAll(keepingCapacity: true)
            jobs.removeAll(keepingCapacity: true)
            for waiter in waiters {
                if let claim = waiter.claim { claims.append(claim) }
                jobs.append(contentsOf: waiter.jobs)
            }
            if !claims.isEmpty || !jobs.isEmpty { settle(error == nil, claims, jobs) }
        }
        // The common batch: every waiter on one executor (or one waiter): one hop, no grouping.
        if let executor = waiters.first?.executor, waiters.allSatisfy({ $0.executor === executor }) {
            if waiters.count == 1 {
                let completion = waiters[0].completion
                executor.execute { completion(error) }
            } else {
                executor.execute { for waiter in waiters { waiter.completion(error) } }
            }
            return
        }
        var byExecutor: [ObjectIdentifier: (executor: any CompletionExecutor, completions: [Notification])] = [:]
        for waiter in waiters {
            guard let executor = waiter.executor else {
                waiter.completion(error)
                continue
            }
            byExecutor[ObjectIdentifier(executor), default: (executor, [])].completions.append(waiter.completion)
        }
        for (_, group) in byExecutor {
            let completions = group.completions
            group.executor.execute { for completion in completions { completion(error) } }
        }
    }
}
