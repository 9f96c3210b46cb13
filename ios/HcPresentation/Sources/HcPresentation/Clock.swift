#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clock the screens read (seconds since the epoch); tests pass their own.
public protocol Clock: Sendable {
    func nowUnix() -> Int64
}

public struct SystemClock: Clock {
    public init() {}
    public func nowUnix() -> Int64 { Int64(time(nil)) }
}
