package claim

import "strconv"

// Paths of the elements findings point at, made once for the indexes a
// claim can have so that screening a claim does not build strings.
var (
	dxPaths   = make([]string, MaxDiagnosesInstitutional)
	procPaths = make([]string, MaxLinesInstitutional)
	unitPaths = make([]string, MaxLinesInstitutional)
	posPaths  = make([]string, MaxLinesInstitutional)
	datePaths = make([]string, MaxLinesInstitutional)
	modPaths  = make([][MaxModifiers]string, MaxLinesInstitutional)
)

func init() {
	for i := range dxPaths {
		dxPaths[i] = "diagnoses[" + strconv.Itoa(i) + "].code"
	}
	for i := range procPaths {
		p := "lines[" + strconv.Itoa(i) + "]."
		procPaths[i] = p + "procedure.code"
		unitPaths[i] = p + "units"
		posPaths[i] = p + "place_of_service"
		datePaths[i] = p + "service_date"
		for j := 0; j < MaxModifiers; j++ {
			modPaths[i][j] = p + "procedure.modifiers[" + strconv.Itoa(j) + "]"
		}
	}
}

// DxCodePath is "diagnoses[i].code".
func DxCodePath(i int) string {
	if i < len(dxPaths) {
		return dxPaths[i]
	}
	return DxPath(i)
}

// ProcPath is "lines[i].procedure.code".
func ProcPath(i int) string {
	if i < len(procPaths) {
		return procPaths[i]
	}
	return LinePath(i, "procedure.code")
}

// UnitsPath is "lines[i].units".
func UnitsPath(i int) string {
	if i < len(unitPaths) {
		return unitPaths[i]
	}
	return LinePath(i, "units")
}

// ServiceDatePath is "lines[i].service_date".
func ServiceDatePath(i int) string {
	if i < len(datePaths) {
		return datePaths[i]
	}
	return LinePath(i, "service_date")
}

// ModPath is "lines[i].procedure.modifiers[j]".
func ModPath(i, j int) string {
	if i < len(modPaths) && j < MaxModifiers {
		return modPaths[i][j]
	}
	return ModifierPath(i, j)
}

// linePathSet is every path of one line, made once.
type linePathSet struct {
	base, number, procedure, procCode, procMods, serviceDate, units, charge, pos, pointers string
}

// dxPathSet is every path of one diagnosis.
type dxPathSet struct{ base, code, system string }

var (
	linePathSets = make([]linePathSet, MaxLinesInstitutional)
	dxPathSets   = make([]dxPathSet, MaxDiagnosesInstitutional)
)

func init() {
	for i := range linePathSets {
		b := "lines[" + strconv.Itoa(i) + "]"
		linePathSets[i] = linePathSet{base: b, number: b + ".number", procedure: b + ".procedure", procCode: b + ".procedure.code",
			procMods: b + ".procedure.modifiers", serviceDate: b + ".service_date", units: b + ".units", charge: b + ".charge",
			pos: b + ".place_of_service", pointers: b + ".diagnosis_pointers"}
	}
	for i := range dxPathSets {
		b := "diagnoses[" + strconv.Itoa(i) + "]"
		dxPathSets[i] = dxPathSet{base: b, code: b + ".code", system: b + ".system"}
	}
}
