<?php
// SimpleSAMLphp 1.19 settings for the loopback test IdP. idp.py fills the environment:
// SAML_IDP_BASE_URL ("http://127.0.0.1:PORT/") and SAML_IDP_DIR (the run's directory with
// cert/, log/, data/, tmp/ and sp.json).
$base = getenv('SAML_IDP_BASE_URL');
$dir = getenv('SAML_IDP_DIR');
$config = [
    'baseurlpath' => $base . 'simplesaml/',
    'certdir' => $dir . '/cert/',
    'metadatadir' => __DIR__ . '/../metadata/',
    'loggingdir' => $dir . '/log/',
    'datadir' => $dir . '/data/',
    'tempdir' => $dir . '/tmp/',
    'secretsalt' => 'custody-test-idp-salt-not-a-secret',
    'auth.adminpassword' => 'custody-test-admin',
    'admin.protectindexpage' => false,
    'technicalcontact_name' => 'Custody tests',
    'technicalcontact_email' => 'tests@example.test',
    'timezone' => 'UTC',
    'logging.level' => SimpleSAML\Logger::WARNING,
    'logging.handler' => 'errorlog',
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'store.type' => 'phpsession',
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.phpsession.savepath' => $dir . '/tmp/',
    'trusted.url.domains' => ['127.0.0.1'],
    'production' => false,
];
