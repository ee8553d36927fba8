"""Where the gateway's proof key pair lives under var_dir on one machine (docs/adr/0038).

Apart from kernel.keys so that the processes that only need the names (the platform, every
service) do not load ``cryptography`` for them.
"""

GATEWAY_PROOF_KEY_FILE = "gateway-proof.key"
GATEWAY_PROOF_PUBLIC_KEY_FILE = "gateway-proof.pub"
