// swift-tools-version: 5.4
import PackageDescription

// The libFuzzer targets (`scripts/fuzz`), kept out of the main package so its normal build and
// `scripts/test` never see them. This package depends on the main one by path and is built only
// by `scripts/fuzz`, which passes `-sanitize=fuzzer,address` and `-enable-testing` to every Swift
// module with `-Xswiftc`: the code under test must carry coverage instrumentation too, which a
// per-target `unsafeFlags` here could not give it.
//
// Each target is an executable whose `main.swift` defines `LLVMFuzzerTestOneInput` with
// `@_cdecl`; libFuzzer supplies `main`, so the files are compiled with `-parse-as-library` (no
// top-level code, no synthesized entry point). The tools version stays below 5.5 on purpose:
// from 5.5 on, SwiftPM renames a Swift executable's entry point to `<Module>_main` and links
// `main` to it, which fails when libFuzzer, not the module, defines `main`.
let fuzzer: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "referral-relay-fuzz",
    dependencies: [
        .package(name: "referral-relay", path: "..")
    ],
    targets: [
        // `input-decoder`: arbitrary bytes as an account-created and a milestone-reached value.
        .executableTarget(
            name: "FuzzInputDecoder",
            dependencies: [
                .product(name: "Kafka", package: "referral-relay"),
                .product(name: "ReferralKit", package: "referral-relay"),
                .product(name: "Relay", package: "referral-relay"),
            ],
            swiftSettings: fuzzer
        ),
        // `signature-header`: arbitrary bytes as an X-MMOLove-Signature value.
        .executableTarget(
            name: "FuzzSignatureHeader",
            dependencies: [.product(name: "ReferralKit", package: "referral-relay")],
            swiftSettings: fuzzer
        ),
        // `settled-offsets`: arbitrary commit metadata, and encode/decode round trips.
        .executableTarget(
            name: "FuzzSettledOffsets",
            dependencies: [.product(name: "Relay", package: "referral-relay")],
            swiftSettings: fuzzer
        ),
    ]
)
