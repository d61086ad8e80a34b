#!/usr/bin/env bash
# Drives the sandbox with the AWS CLI, as an operator would drive AWS:
# assume a role, then list and describe with the CLI's own paging and parsing.
# Usage: scripts/check-aws-cli.sh [path/to/recovery-console]
set -euo pipefail

bin=${1:-target/debug/recovery-console}
work=$(mktemp -d)

fail() { echo "aws-cli check FAILED: $*" >&2; cat "$work/sandbox.log" >&2; exit 1; }

# The sandbox binds port 0 and announces its address ("AWS sandbox at http://...").
# Six generated accounts: the fifth (400000000005) backs DynamoDB up without advanced backup.
"$bin" sandbox --listen 127.0.0.1:0 --accounts 6 --write-config "$work/console.toml" >"$work/sandbox.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
deadline=$((SECONDS + 60))
endpoint=
until [ -n "$endpoint" ] && curl -sf "$endpoint/_sandbox/health" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || fail "the sandbox ended"
  [ "$SECONDS" -lt "$deadline" ] || fail "the sandbox did not answer within 60 s"
  sleep 0.1
  endpoint=$(grep -m1 -oE 'AWS sandbox at http://127\.0\.0\.1:[0-9]+' "$work/sandbox.log" | grep -oE 'http://.*' || true)
done
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# A clean CLI environment: no profile, hub keys that the sandbox does not know.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION=ap-southeast-2
export AWS_ACCESS_KEY_ID=AKIACLICHECK0000001 AWS_SECRET_ACCESS_KEY=cli-check-secret AWS_PAGER=""
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL || true
aws() { command aws --endpoint-url "$endpoint" --output json "$@"; }

account=$(aws sts get-caller-identity | json 'd["Account"]')
[ "$account" = 999999999999 ] || fail "hub identity is $account"

members=$(aws organizations list-accounts | json 'len(d["Accounts"])')
[ "$members" = 9 ] || fail "organizations list-accounts gave $members accounts, expected 9"

hub_keys=("$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY")
# Takes the read role of account $1 (from the hub's keys).
read_role() {
  AWS_ACCESS_KEY_ID=${hub_keys[0]} AWS_SECRET_ACCESS_KEY=${hub_keys[1]}
  unset AWS_SESSION_TOKEN
  local creds
  creds=$(aws sts assume-role --role-arn "arn:aws:iam::$1:role/RecoveryConsoleRead" --role-session-name cli-check)
  AWS_ACCESS_KEY_ID=$(echo "$creds" | json 'd["Credentials"]["AccessKeyId"]')
  AWS_SECRET_ACCESS_KEY=$(echo "$creds" | json 'd["Credentials"]["SecretAccessKey"]')
  AWS_SESSION_TOKEN=$(echo "$creds" | json 'd["Credentials"]["SessionToken"]')
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
}
# Lists vault $1 and describes (with its restore metadata) the first recovery point whose
# ARN starts with $2, as AWS formats it for its type; prints the ARN.
describe_first() {
  local arn
  arn=$(aws backup list-recovery-points-by-backup-vault --backup-vault-name "$1" \
    | json "next((p['RecoveryPointArn'] for p in d['RecoveryPoints'] if p['RecoveryPointArn'].startswith('$2')), '')")
  [ -n "$arn" ] || fail "no recovery point $2... in $1"
  [ "$(aws backup describe-recovery-point --backup-vault-name "$1" --recovery-point-arn "$arn" | json 'd["RecoveryPointArn"]')" = "$arn" ] \
    || fail "describe-recovery-point of $arn"
  aws backup get-recovery-point-restore-metadata --backup-vault-name "$1" --recovery-point-arn "$arn" \
    | json 'len(d["RestoreMetadata"])' >/dev/null || fail "get-recovery-point-restore-metadata of $arn"
  echo "$arn"
}
read_role 111111111111

[ "$(aws sts get-caller-identity | json 'd["Account"]')" = 111111111111 ] || fail "assumed identity is not workload_a"
vaults=$(aws backup list-backup-vaults | json '" ".join(sorted(v["BackupVaultName"] for v in d["BackupVaultList"]))')
[ "$vaults" = "workload-a-platform workload-a-recovery workload-a-vault" ] || fail "list-backup-vaults gave $vaults"
vault=workload-a-vault

# The CLI pages by itself (sending the list URIs with their trailing slash).
all=$(aws backup list-recovery-points-by-backup-vault --backup-vault-name "$vault" --page-size 17 | json 'len(d["RecoveryPoints"])')
one=$(aws backup list-recovery-points-by-backup-vault --backup-vault-name "$vault" --no-paginate --max-results 1000 | json 'len(d["RecoveryPoints"])')
if [ "$all" != "$one" ] || [ "$all" -le 150 ]; then fail "paged listing gave $all recovery points, one page $one"; fi

page=$(aws backup list-recovery-points-by-backup-vault --backup-vault-name "$vault" --max-items 5)
token=$(echo "$page" | json 'd["NextToken"]')
rp=$(echo "$page" | json 'd["RecoveryPoints"][0]["RecoveryPointArn"]')
aws backup list-recovery-points-by-backup-vault --backup-vault-name "$vault" --max-items 5 --starting-token "$token" >/dev/null
aws backup describe-recovery-point --backup-vault-name "$vault" --recovery-point-arn "$rp" >/dev/null
aws backup get-recovery-point-restore-metadata --backup-vault-name "$vault" --recovery-point-arn "$rp" >/dev/null

failed=$(aws backup list-restore-jobs --by-status FAILED | json 'sorted({j["Status"] for j in d["RestoreJobs"]})')
[ "$failed" = "['FAILED']" ] || fail "list-restore-jobs --by-status FAILED gave $failed"
job=$(aws backup list-restore-jobs --max-items 1 | json 'd["RestoreJobs"][0]["RestoreJobId"]')
aws backup describe-restore-job --restore-job-id "$job" | json 'd["CreatedBy"]["RestoreTestingPlanArn"]' >/dev/null
aws backup list-restore-testing-plans | json 'd["RestoreTestingPlans"][0]["RestoreTestingPlanName"]' >/dev/null
aws backup describe-protected-resource --resource-arn arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking \
  | json 'd["LatestRestoreExecutionTimeMinutes"]' >/dev/null

# The read role may not restore; the CLI shows AWS's error.
if aws backup start-restore-job --recovery-point-arn "$rp" --metadata targetTableName=cli-copy 2>"$work/err"; then
  fail "the read role started a restore"
fi
grep -q AccessDeniedException "$work/err" || fail "expected AccessDeniedException, got: $(cat "$work/err")"
if aws backup list-backup-jobs --next-token forged 2>"$work/err"; then fail "a forged token was accepted"; fi
grep -q InvalidParameterValueException "$work/err" || fail "expected InvalidParameterValueException, got: $(cat "$work/err")"

# The other types' recovery points, each as AWS names it: an EC2 image and an EBS snapshot
# (no account in the ARN), an S3 continuous backup, and (in the fifth generated account,
# without advanced DynamoDB backup) DynamoDB's own backup.
describe_first workload-a-platform "arn:aws:ec2:ap-southeast-2::image/ami-" >/dev/null
describe_first workload-a-platform "arn:aws:ec2:ap-southeast-2::snapshot/snap-" >/dev/null
describe_first workload-a-platform "arn:aws:backup:ap-southeast-2:111111111111:recovery-point:continuous:" >/dev/null
describe_first workload-a-platform "arn:aws:rds:ap-southeast-2:111111111111:cluster-snapshot:awsbackup:job-" >/dev/null
read_role 400000000005
describe_first default-vault "arn:aws:dynamodb:ap-southeast-2:400000000005:table/" >/dev/null

grep -q 'role_arn = "arn:aws:iam::111111111111:role/RecoveryConsoleRead"' "$work/console.toml" || fail "--write-config did not write the accounts"
echo "aws-cli check passed: $all recovery points paged, EC2/EBS/S3 continuous/Aurora/DynamoDB recovery points described, errors as AWS gives them"
