// swift-tools-version:5.9
// HcCore: the Swift face of the hc app core (the uniffi bindings of the Rust crate hc-ffi).
//
// Swift 5 language mode on purpose (tools version 5.9): Debian's Swift 6.0.3 compiler, used to test
// this package on Linux, crashes on uniffi's async foreign traits in Swift 6 mode.
//
// The generated sources are build output, written by bindings/scripts/generate.sh and copied here by
// bindings/scripts/test-swift.sh (git-ignored `Generated/` folders):
//   Sources/HcCoreFFI/Generated/  module.modulemap + HcCoreFFI.h  (the C interface of libhc_ffi)
//   Sources/HcCore/Generated/     HcCore.swift                    (the Swift API)
// On Linux the C module is a system library and libhc_ffi.so is found at link time through
// `-Xlinker -L<dir>`. Apple platforms take the C module and the static library from the XCFramework
// binary target that ios/build-xcframework.sh makes.
import PackageDescription

#if os(Linux)
let ffi: Target = .systemLibrary(name: "HcCoreFFI", path: "Sources/HcCoreFFI/Generated")
let coreLinker: [LinkerSetting] = [.linkedLibrary("hc_ffi")]
#else
// Made on macOS by ios/build-xcframework.sh: the static libhc_ffi for device and simulators, with the
// C header and module map. A local path needs no checksum; to ship the package elsewhere, upload the
// zipped XCFramework and use `.binaryTarget(name:url:checksum:)` with `swift package compute-checksum`.
// TLS roots are compiled in (webpki-roots), so no keychain trust settings are read; Security and
// SystemConfiguration are linked for Rust crates that may call them on Apple platforms (random numbers,
// reqwest's system-proxy feature), at no cost when unused.
let ffi: Target = .binaryTarget(name: "HcCoreFFI", path: "build/HcCoreFFI.xcframework")
let coreLinker: [LinkerSetting] = [.linkedFramework("SystemConfiguration"), .linkedFramework("Security")]
#endif

let package = Package(
    name: "HcCore",
    // The generated Swift uses async/await and Sendable; the app targets iOS 16 (NSLock.withLock,
    // PhotosPicker, NavigationStack). Ignored on Linux.
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "HcCore", targets: ["HcCore"]),
        // The shared test kit (ios/TestKit): for test targets only, here and in HcPresentation.
        .library(name: "HcTestKit", targets: ["HcTestKit"]),
    ],
    targets: [
        ffi,
        .target(
            name: "HcCore",
            dependencies: ["HcCoreFFI"],
            path: "Sources/HcCore",
            linkerSettings: coreLinker
        ),
        .target(name: "HcTestKit", dependencies: ["HcCore"], path: "TestKit"),
        .testTarget(name: "HcCoreTests", dependencies: ["HcCore", "HcTestKit"], path: "Tests/HcCoreTests"),
    ]
)
