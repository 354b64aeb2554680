# templates/: template files for qvm-template (docs/templates.md).
#   make template   build/templates/debian-12-<version>.template, from
#                   Debian's archive and the vm-agent packages (make debs);
#                   returns at once when nothing it is made of changed

.PHONY: template
template: debs
	@templates/build debian-12
