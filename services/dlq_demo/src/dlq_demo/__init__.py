"""The Lambda error-handling pattern demo (seeds 000/001): `{"pass": false}` fails, behind SQS, SNS or async invoke."""
