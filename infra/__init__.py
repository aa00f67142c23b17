"""CDK v2 app that deploys every system in this repository (see docs/DEPLOY.md)."""

import os

# jsii prints a Node end-of-life banner on every synth otherwise. Set here, before anything imports aws_cdk or
# constructs (which start the node process). DEPRECATED_... covers a Node release past its end-of-life;
# END_OF_LIFE_... (a list of major versions) one past jsii's own support window.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
