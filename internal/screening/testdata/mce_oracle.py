"""The MCE oracle of the differential test (msdrg_test.go): one MCE input
(msdrg's MceInput) a line on standard input, the names of the edits msdrg's
MceEditor reports for it (a JSON list) a line on standard output."""
import json
import sys

from msdrg import MceEditor

with MceEditor() as mce:
    for line in sys.stdin:
        result = mce.edit(json.loads(line))
        print(json.dumps(sorted(e["name"] for e in result["edits"])))
