#!/usr/bin/env bash
# What `npx cdk deploy --all` does before its first AWS API call, with no AWS account:
#   1. synth      the CDK app into $CDK_OUT (default cdk.out), with cdk-nag (AwsSolutions) on every stack: an
#                 unsuppressed finding fails the rehearsal
#   2. cfn-lint   every template, with .cfnlintrc
#   3. images     every image asset of the assembly, built as the CLI builds it (cdk-assets' `docker build`
#                 command, in the staged asset directory, with the manifest's Dockerfile, build args and platform),
#                 then tagged with its service name (what ./runlocally.sh --docker and the Docker tests run)
#
#   scripts/rehearse-deploy.sh [--no-images] [CDK OPTIONS ...]     e.g. -c architecture=arm64
#
# What `cdk deploy` does next needs credentials: resolve the account, push the images to the bootstrap ECR
# repository, upload the templates and create the change sets.
# BASE_IMAGE (the images' base) defaults to what the machine can build on: the public Python image when it is
# here or can be pulled, else the offline Debian base (built when missing).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images=1; cdk_args=()
for arg in "$@"; do
  case "$arg" in
    --no-images) images=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) cdk_args+=("$arg") ;;
  esac
done
BOOTSTRAP_NODE=1 source "$HERE/scripts/bootstrap.sh"
cd "$REPO_ROOT"
out="${CDK_OUT:-cdk.out}"
if [[ $images == 1 && -z "${BASE_IMAGE:-}" ]]; then BASE_IMAGE=$(python -m localrun.images base); export BASE_IMAGE; fi

echo "== synth (cdk-nag on every stack) into $out${BASE_IMAGE:+, images on $BASE_IMAGE}"
node_modules/.bin/cdk synth -q -o "$out" "${cdk_args[@]}"
findings=$(grep -h '"Non-Compliant"' "$out"/AwsSolutions-*-NagReport.csv || true)
if [[ -n "$findings" ]]; then echo "$findings" >&2; echo "error: cdk-nag findings above are not suppressed" >&2; exit 1; fi
echo "   $(ls "$out"/*.template.json | wc -l) templates; cdk-nag: $(cat "$out"/AwsSolutions-*-NagReport.csv | grep -c '"Suppressed"') suppressed with a reason, none open"

echo "== cfn-lint"
cfn-lint --config-file .cfnlintrc -- "$out"/*.template.json
echo "   clean"

if [[ $images == 1 ]]; then
  echo "== image assets, built as cdk deploy builds them"
  python -m localrun.images assets --cdk-out "$out"
fi
echo "rehearsal passed: what remains of cdk deploy is the AWS side (account, ECR push, change sets)"
