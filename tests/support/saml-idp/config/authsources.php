<?php
// Test users. The password selects the AuthnContextClassRef that the IdP asserts:
// "<user>-pw" gives PasswordProtectedTransport and "<user>-mfa" gives REFEDS MFA.
$password_only = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
$mfa = 'https://refeds.org/profile/mfa';
$alice = ['uid' => ['alice'], 'email' => ['alice@example.test'],
          'displayName' => ['Alice Admin'], 'groups' => ['admins', 'staff']];
$bob = ['uid' => ['bob'], 'email' => ['bob@example.test'],
        'displayName' => ['Bob Builder'], 'groups' => ['staff']];
$config = [
    'admin' => ['core:AdminPassword'],
    'test-users' => [
        'exampleauth:UserPass',
        'alice:alice-pw' => $alice + ['test_context' => [$password_only]],
        'alice:alice-mfa' => $alice + ['test_context' => [$mfa]],
        'bob:bob-pw' => $bob + ['test_context' => [$password_only]],
        'bob:bob-mfa' => $bob + ['test_context' => [$mfa]],
    ],
];
