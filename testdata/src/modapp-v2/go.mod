module example.com/modapp

go 1.21

require (
	example.com/lib v1.2.0
	example.com/lib/v2 v2.0.0
)
