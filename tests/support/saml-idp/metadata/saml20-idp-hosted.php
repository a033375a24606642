<?php
// The hosted IdP. Its entity id is {base}simplesaml/saml2/idp/metadata.php.
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'test-users',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    'simplesaml.nameidattribute' => 'email',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'authproc' => [
        // Moves the user's test_context attribute into the AuthnContextClassRef.
        90 => ['class' => 'core:PHP', 'code' => '
            if (isset($attributes["test_context"][0])) {
                $state["saml:AuthnContextClassRef"] = $attributes["test_context"][0];
            }
            unset($attributes["test_context"]);
        '],
    ],
];
