from xqr.webhooks.signing import verify_signature as verify_signature
