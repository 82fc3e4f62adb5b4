module example.com/modapp

go 1.21

require example.com/lib v1.2.0

replace example.com/lib => ../libfork
