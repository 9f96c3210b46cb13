import Foundation

/// A value the screen renders, with change callbacks. Plain Swift (no Combine, no Observation), so
/// it runs on Linux; the app wraps it in an `ObservableObject` that hops to the main actor.
/// Callbacks run on the thread that changed the value (a core thread for reset states).
public final class ScreenState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    private var observers: [UUID: (Value) -> Void] = [:]

    init(_ value: Value) { _value = value }

    public var value: Value { lock.withLock { _value } }

    /// Calls `handler` with the current value now and with every new one; keep the token to stop.
    @discardableResult
    public func observe(_ handler: @escaping (Value) -> Void) -> ObservationToken {
        let id = UUID()
        let current: Value = lock.withLock { observers[id] = handler; return _value }
        handler(current)
        return ObservationToken { [weak self] in self?.lock.withLock { _ = self?.observers.removeValue(forKey: id) } }
    }

    func set(_ value: Value) {
        let handlers: [(Value) -> Void] = lock.withLock { _value = value; return Array(observers.values) }
        for handler in handlers { handler(value) }
    }

    func update(_ change: (inout Value) -> Void) {
        let (value, handlers): (Value, [(Value) -> Void]) = lock.withLock {
            change(&_value)
            return (_value, Array(observers.values))
        }
        for handler in handlers { handler(value) }
    }

    /// Waits for a value matching `predicate` (tests, and flows that wait for a result).
    public func first(timeout seconds: Double = 30, where predicate: @escaping (Value) -> Bool) async -> Value? {
        let box = FirstMatch<Value>()
        let token = observe { value in if predicate(value) { box.fulfil(value) } }
        defer { token.cancel() }
        return await box.wait(timeout: seconds)
    }
}

public final class ObservationToken: @unchecked Sendable {
    private let onCancel: () -> Void
    init(_ onCancel: @escaping () -> Void) { self.onCancel = onCancel }
    public func cancel() { onCancel() }
}

private final class FirstMatch<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Value?
    private var continuation: CheckedContinuation<Value?, Never>?
    private var done = false

    func fulfil(_ value: Value?) {
        let c: CheckedContinuation<Value?, Never>? = lock.withLock {
            if done { return nil }
            if continuation == nil { if result == nil { result = value }; return nil }
            done = true
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: value)
    }

    func wait(timeout: Double) async -> Value? {
        await withCheckedContinuation { (c: CheckedContinuation<Value?, Never>) in
            let ready: Value?? = lock.withLock {
                if let r = result { done = true; return .some(r) }
                continuation = c
                return .none
            }
            if let r = ready { c.resume(returning: r); return }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                self.fulfil(nil)
            }
        }
    }
}
