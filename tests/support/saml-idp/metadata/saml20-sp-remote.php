<?php
// The service providers this IdP serves, read from sp.json on every request so that a test
// can register an organization's SP after the IdP has started:
// [{"entity_id": "...", "acs_url": "...", "assertion_lifetime": 300}, ...]
$file = getenv('SAML_IDP_DIR') . '/sp.json';
$providers = is_readable($file) ? json_decode(file_get_contents($file), true) : [];
foreach ($providers ?: [] as $provider) {
    $metadata[$provider['entity_id']] = [
        'AssertionConsumerService' => $provider['acs_url'],
        'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        'simplesaml.nameidattribute' => 'email',
        'saml20.sign.response' => true,
        'saml20.sign.assertion' => true,
        'assertion.lifetime' => $provider['assertion_lifetime'] ?? 300,
    ];
}
